using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using Supervisor.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Supervisor.IntegrationTests.TrustBoundary;

/// <summary>
/// Log followers read through a pool of their own, one feed per task fanned out in memory: 500 of them on one running task
/// neither starve the saga (another task completes about as fast as with none) nor go without a line.
/// </summary>
[Collection(IdentitiesCollection.Name)]
public sealed class LogFollowers(IdentitiesFixture fixture, ITestOutputHelper output)
{
    const int Followers = 500;
    readonly ApiClient _api = fixture.Stack.Api;
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Five_hundred_followers_of_a_running_task_do_not_slow_another_task_and_all_get_every_line()
    {
        // A first task warms the stack (JIT, connections, the worker's first attempt), so the baseline is not inflated by it.
        await _api.WaitForAsync(await _api.SubmitAsync(new { prompt = "echo warm" }), Timeout);
        var baseline = await CompletionTimesAsync("before");

        // Where the agent's user can see the stop flag (it runs as a uid of its own).
        var flags = TestEnvironment.SharedDirectory("supervisor-followers-");
        var stop = Path.Combine(flags, "stop");
        var followed = await _api.SubmitAsync(new
        {
            prompt = $"i=0; while [ ! -e '{stop}' ] && [ $i -lt 600 ]; do i=$((i+1)); echo line-$i; sleep 0.2; done; echo done-$i",
        });
        await _api.WaitForAsync(followed, Timeout, "Running");

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Followers + 10 };
        using var http = new HttpClient(handler) { BaseAddress = _api.Http.BaseAddress, Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Of(TestTokens.Admin));
        using var give = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var streams = Enumerable.Range(0, Followers).Select(_ => FollowAsync(http, followed, give.Token)).ToList();
        await WaitForFollowersAsync(Followers);
        var followerConnections = await FollowerConnectionsAsync();

        var loaded = await CompletionTimesAsync("with 500 followers");
        await File.WriteAllTextAsync(stop, "");
        var texts = await Task.WhenAll(streams);
        var stored = string.Concat((await _api.CompleteLogsAsync(followed)).Select(c => c!["text"]!.GetValue<string>()));
        Directory.Delete(flags, recursive: true);

        output.WriteLine($"submit→Succeeded, median of 3: {baseline.TotalMilliseconds:F0} ms before, {loaded.TotalMilliseconds:F0} ms with {Followers} followers; "
            + $"follower connections {followerConnections}");
        Assert.Contains("line-1\n", stored, StringComparison.Ordinal);
        // Ended by the flag, not by its 600 lines (two minutes).
        Assert.DoesNotMatch("done-600", stored);
        Assert.Matches("done-[0-9]+", stored);
        Assert.All(texts, text => Assert.Equal(stored, text));
        Assert.InRange(followerConnections, 1, 4);
        // The one timed comparison: generous, for a loaded two-core machine. A saga starved of connections by the
        // followers takes many times longer (or never finishes).
        Assert.True(loaded <= TimeSpan.FromTicks(baseline.Ticks * 4) + TimeSpan.FromSeconds(3),
            $"with {Followers} followers a task took {loaded.TotalMilliseconds:F0} ms against {baseline.TotalMilliseconds:F0} ms without");
    }

    /// <summary>The median time of three quick tasks from submit to Succeeded.</summary>
    async Task<TimeSpan> CompletionTimesAsync(string when)
    {
        var times = new List<TimeSpan>();
        for (var i = 0; i < 3; i++)
        {
            var clock = Stopwatch.StartNew();
            var id = await _api.SubmitAsync(new { prompt = $"echo quick {i}" });
            var task = await _api.WaitForAsync(id, Timeout);
            clock.Stop();
            Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
            times.Add(clock.Elapsed);
        }

        output.WriteLine($"{when}: {string.Join(", ", times.Select(t => $"{t.TotalMilliseconds:F0} ms"))}");
        return times.Order().ElementAt(1);
    }

    /// <summary>The text of every chunk event until the end event.</summary>
    static async Task<string> FollowAsync(HttpClient http, Guid id, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/tasks/{id}/logs?follow=true");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        var text = new StringBuilder();
        var eventName = "";
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
                eventName = line["event: ".Length..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && eventName == "chunk")
                text.Append(JsonNode.Parse(line["data: ".Length..])!["text"]!.GetValue<string>());
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && eventName == "end")
                return text.ToString();
        }

        throw new InvalidOperationException($"the stream ended without an end event after {text.Length} characters");
    }

    /// <summary>Until the service streams <paramref name="count"/> outputs (its supervisor_log_followers gauge).</summary>
    async Task WaitForFollowersAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!(await _api.Http.GetStringAsync("/metrics")).Contains($"supervisor_log_followers {count}\n", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{count} followers did not connect within 90 s");
            await Task.Delay(200);
        }
    }

    /// <summary>Connections the followers' own pool holds now (its application name), in the stack's database.</summary>
    async Task<long> FollowerConnectionsAsync()
    {
        await using var connection = new NpgsqlConnection(fixture.Stack.Resources.Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'supervisor-log-followers'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
