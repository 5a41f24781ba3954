using Npgsql;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.TrustBoundary;

/// <summary>
/// Secrets in what is stored of a task — its prompt, its agent's error text, a person's reason — are redacted before they
/// reach the database: the API shows [REDACTED], and no row of the task's tables holds the secret.
/// </summary>
public sealed class StoredRedaction : IAsyncLifetime
{
    const string ApiKey = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
    const string TokenTail = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const string Token = "ghp_" + TokenTail;
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    SupervisorStack _stack = null!;

    public async Task InitializeAsync() =>
        _stack = await SupervisorStack.StartAsync("storedredaction", new Dictionary<string, string>
        {
            // one quick retry, then the task fails
            ["Supervisor__Agents__shell__Retry__Intervals__0"] = "00:00:00.200",
        }, services: 1, ("shell", 1));

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task A_prompts_key_an_agents_error_token_and_a_reasons_token_are_stored_as_REDACTED()
    {
        // The token appears only when the agent runs (printf assembles it), so it reaches the service as error text.
        var failing = await _stack.Api.SubmitAsync(new { prompt = $"echo using {ApiKey}; printf 'denied: ghp_%s\\n' {TokenTail} >&2; exit 1" });
        var waiting = await _stack.Api.SubmitAsync(new { prompt = $"echo deploy with {ApiKey}", risk = "high" });
        await _stack.Api.WaitForAsync(waiting, Timeout, "AwaitingApproval");
        await _stack.Api.CommandAsync(waiting, "reject", by: "erin", reason: $"leaked Authorization: Bearer {Token}");

        var failed = await _stack.Api.WaitForAsync(failing, Timeout);
        var rejected = await _stack.Api.WaitForAsync(waiting, Timeout);

        Assert.Equal("Failed", failed["state"]!.GetValue<string>());
        Assert.Equal($"echo using [REDACTED]; printf 'denied: ghp_%s\\n' {TokenTail} >&2; exit 1", failed["prompt"]!.GetValue<string>());
        Assert.Contains("denied: [REDACTED]", failed["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.All(failed["attempts"]!.AsArray(), a => Assert.Contains("[REDACTED]", a!["message"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.Equal("echo deploy with [REDACTED]", rejected["prompt"]!.GetValue<string>());
        Assert.Equal("rejected by erin: leaked Authorization: [REDACTED]", rejected["error"]!.GetValue<string>());
        foreach (var json in new[] { failed.ToJsonString(), rejected.ToJsonString() })
        {
            Assert.DoesNotContain(ApiKey, json, StringComparison.Ordinal);
            Assert.DoesNotContain(Token, json, StringComparison.Ordinal);
        }

        // Not only what the API shows: no row of the task's tables holds either secret.
        await using var connection = new NpgsqlConnection(_stack.Resources.InspectionPostgres);
        await connection.OpenAsync();
        foreach (var table in new[] { "tasks", "task_attempts", "task_transitions" })
        {
            await using var rows = new NpgsqlCommand($"SELECT count(*) FROM {table} r WHERE r::text LIKE '%' || @key || '%' OR r::text LIKE '%' || @token || '%'", connection);
            rows.Parameters.AddWithValue("key", ApiKey);
            rows.Parameters.AddWithValue("token", Token);
            Assert.Equal(0L, (long)(await rows.ExecuteScalarAsync())!);
        }

        await using var redacted = new NpgsqlCommand("SELECT count(*) FROM tasks WHERE prompt LIKE '%[REDACTED]%'", connection);
        Assert.Equal(2L, (long)(await redacted.ExecuteScalarAsync())!);
    }
}
