using Supervisor.IntegrationTests.Infrastructure;
using static Supervisor.IntegrationTests.RealAgents.RealAgentTask;

namespace Supervisor.IntegrationTests.RealAgents;

/// <summary>
/// Provider failures scripted in the stub, seen through the real CLIs: the supervisor, not the CLI, decides what
/// happens next, by the failure class its interpreter and patterns give the attempt.
/// </summary>
[Collection(RealAgentsCollection.Name)]
public sealed class ProviderFailures(RealAgentsFixture fixture)
{
    readonly ApiClient _api = fixture.Stack.Api;
    readonly ProviderStubProcess _stub = fixture.Stub;

    [Fact]
    public async Task A_rate_limited_claude_is_retried_after_the_providers_retry_after_and_then_succeeds()
    {
        using var work = await CreateAsync(_api);
        // Claude retries once by itself (CLAUDE_CODE_MAX_RETRIES=1): two 429s end its first attempt.
        await _stub.ScriptAsync(work.Case, ["429:retryAfter=3*2"], file: "notes.txt", api: "anthropic");

        var (id, task) = await work.RunAsync("notes.txt", ["claude"]);

        Assert.Equal("Succeeded", State(task));
        Assert.Equal([("claude", "RateLimited"), ("claude", null)], Outcomes(task));
        var attempts = Attempts(task);
        Assert.Contains("HTTP 429", attempts[0]["message"]!.GetValue<string>());
        var gap = Time(attempts[1], "startedAt") - Time(attempts[0], "finishedAt");
        Assert.True(gap >= TimeSpan.FromSeconds(2.9), $"the retry came {gap} after the 429 that asked for 3 s (rate-limit interval {RealAgentsFixture.RateLimitInterval})");
        var logs = await _api.CompleteLogsAsync(id);
        Assert.Contains(logs, c => c!["stream"]!.GetValue<string>() == "system"
                                   && c["text"]!.GetValue<string>().Contains("claude retries on its own (1/1): HTTP 429 rate_limit"));
    }

    [Fact]
    public async Task A_rejected_key_is_fatal_for_claude_and_codex_takes_over_at_once()
    {
        using var work = await CreateAsync(_api);
        await _stub.ScriptAsync(work.Case, [], api: "anthropic", then: "401");
        await _stub.ScriptAsync(work.Case, [], file: "notes.txt", content: "codex took over\n", api: "openai");

        var (_, task) = await work.RunAsync("notes.txt", ["claude", "codex"]);

        Assert.Equal("Succeeded", State(task));
        Assert.Equal([("claude", "Fatal"), ("codex", null)], Outcomes(task));
        Assert.Null(Attempts(task)[0]["nextRetryAt"]);
        Assert.Contains("HTTP 401", Attempts(task)[0]["message"]!.GetValue<string>());
        Assert.Equal("codex took over\n", await work.Repository.GitAsync("show", $"{task["result"]!["branch"]}:notes.txt"));
    }

    [Fact]
    public async Task An_exhausted_quota_reported_as_429_is_fatal_and_falls_back_without_waiting()
    {
        using var work = await CreateAsync(_api);
        await _stub.ScriptAsync(work.Case, [], api: "gemini", then: "quota");
        await _stub.ScriptAsync(work.Case, [], file: "notes.txt", api: "openai");

        // gemini-quota: gemini on an account of its own, which the exhausted quota blocks until the next Pacific midnight.
        var (_, task) = await work.RunAsync("notes.txt", ["gemini-quota", "codex"]);

        Assert.Equal("Succeeded", State(task));
        Assert.Equal([("gemini-quota", "Fatal"), ("codex", null)], Outcomes(task));
        var gemini = Attempts(task)[0];
        Assert.Equal(173, gemini["exitCode"]!.GetValue<int>()); // 429 mod 256
        Assert.Contains("quota", gemini["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_provider_that_never_answers_ends_in_a_timeout_with_no_process_left()
    {
        using var work = await CreateAsync(_api);
        // Codex never gives up on a server that accepts and never answers: only the wall clock ends the attempt.
        await _stub.ScriptAsync(work.Case, ["hang"], file: "notes.txt", api: "openai");

        var (id, task) = await work.RunAsync("notes.txt", ["codex"], timeoutSeconds: 5);

        Assert.Equal("Succeeded", State(task));
        Assert.Equal([("codex", "Timeout"), ("codex", null)], Outcomes(task));
        Assert.Empty(AgentProcesses.Of(id));
    }

    [Fact]
    public async Task An_unreachable_provider_is_retryable_in_seconds_not_at_the_wall_clock_and_the_task_falls_back()
    {
        using var work = await CreateAsync(_api);
        await _stub.ScriptAsync(work.Case, [], file: "notes.txt", api: "anthropic");

        var (id, task) = await work.RunAsync("notes.txt", ["codex-offline", "claude"]);

        Assert.Equal("Succeeded", State(task));
        Assert.Equal([("codex-offline", "Retryable"), ("codex-offline", "Retryable"), ("codex-offline", "Retryable"), ("claude", null)],
            Outcomes(task));
        Assert.All(Attempts(task).Take(3), a =>
        {
            Assert.Contains("waiting for network", a["message"]!.GetValue<string>());
            Assert.True(Time(a, "finishedAt") - Time(a, "startedAt") < TimeSpan.FromSeconds(60), $"attempt took as long as the wall clock: {a}");
        });
        var logs = await _api.CompleteLogsAsync(id);
        Assert.Contains(logs, c => c!["text"]!.GetValue<string>().Contains("more than the profile's GiveUpAfterOwnRetries (1): ending the attempt"));
        Assert.Empty(AgentProcesses.Of(id));
    }

    [Fact]
    public async Task A_stream_dropped_mid_response_is_retryable()
    {
        using var work = await CreateAsync(_api);
        await _stub.ScriptAsync(work.Case, ["drop"], file: "notes.txt", api: "openai");

        var (_, task) = await work.RunAsync("notes.txt", ["codex"]);

        Assert.Equal("Succeeded", State(task));
        Assert.Equal([("codex", "Retryable"), ("codex", null)], Outcomes(task));
        Assert.Contains("stream disconnected", Attempts(task)[0]["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Exit_zero_with_the_write_denied_is_an_agent_failure_not_a_success()
    {
        using var work = await CreateAsync(_api);
        await _stub.ScriptAsync(work.Case, [], file: "notes.txt", api: "anthropic");

        var (_, task) = await work.RunAsync("notes.txt", ["claude-readonly"]);

        Assert.Equal("Failed", State(task));
        Assert.All(Attempts(task), a =>
        {
            Assert.Equal(0, a["exitCode"]!.GetValue<int>());
            Assert.Equal("AgentFailure", a["errorClass"]!.GetValue<string>());
            Assert.Contains("denied permission", a["message"]!.GetValue<string>());
        });
        Assert.Equal("1", (await work.Repository.GitAsync("rev-list", "--all", "--count")).Trim());
    }
}
