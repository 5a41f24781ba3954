using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Reliability;

[Collection(ReliabilityCollection.Name)]
public sealed class RetryAndFallback(ReliabilityFixture fixture)
{
    readonly ApiClient _api = fixture.Stack.Api;
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Rate_limited_twice_then_success_takes_three_attempts_spaced_by_the_rate_limit_intervals()
    {
        var id = await _api.SubmitAsync(new { prompt = "gamma=2:1:Error: 429 Too Many Requests", agent = "gamma" });

        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Succeeded", State(task));
        var attempts = Attempts(task);
        Assert.Equal(3, attempts.Count);
        Assert.Equal(["RateLimited", "RateLimited", null], attempts.Select(a => a["errorClass"]?.GetValue<string>()));
        Assert.Equal([0, 1, 2], attempts.Select(a => a["redelivery"]!.GetValue<int>()));
        Assert.Equal([1, 2, 3], attempts.Select(a => a["number"]!.GetValue<int>()));
        for (var i = 1; i < 3; i++)
        {
            var gap = Time(attempts[i], "startedAt") - Time(attempts[i - 1], "finishedAt");
            Assert.True(gap >= ReliabilityFixture.RateLimitInterval - TimeSpan.FromMilliseconds(50), $"attempt {i + 1} started {gap} after the last one failed");
            Assert.NotNull(attempts[i - 1]["nextRetryAt"]);
        }

        Assert.Contains(Transitions(task), t => t == "Running→RetryScheduled");
        Assert.Contains(Transitions(task), t => t == "RetryScheduled→Running");
    }

    [Fact]
    public async Task Transient_failures_beyond_the_retry_budget_fall_back_to_the_next_agent()
    {
        var id = await _api.SubmitAsync(new { prompt = "alpha=9:1:API Error: 503 upstream unavailable", agent = "alpha", fallback = true });

        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Succeeded", State(task));
        Assert.Equal("beta", task["result"]!["agent"]!.GetValue<string>());
        var attempts = Attempts(task);
        Assert.Equal(["alpha", "alpha", "alpha", "beta"], attempts.Select(a => a["agent"]!.GetValue<string>()));
        Assert.All(attempts.Take(3), a => Assert.Equal("Retryable", a["errorClass"]!.GetValue<string>()));
        Assert.Equal(["alpha", "beta"], task["agents"]!.AsArray().Select(a => a!.GetValue<string>()));
    }

    [Fact]
    public async Task A_fatal_failure_is_not_retried_and_falls_back_at_once()
    {
        var id = await _api.SubmitAsync(new { prompt = "alpha=9:1:Invalid API key · Please run /login", agent = "alpha", fallback = true });

        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Succeeded", State(task));
        var attempts = Attempts(task);
        Assert.Equal(["alpha", "beta"], attempts.Select(a => a["agent"]!.GetValue<string>()));
        Assert.Equal("Fatal", attempts[0]["errorClass"]!.GetValue<string>());
        Assert.Null(attempts[0]["nextRetryAt"]);
    }

    [Theory]
    [InlineData("agent")]
    [InlineData("agents")]
    public async Task A_task_that_names_one_agent_runs_on_it_only(string field)
    {
        const string prompt = "alpha=9:1:Invalid API key · Please run /login";
        var id = await _api.SubmitAsync(field == "agent" ? new { prompt, agent = "alpha" } : new { prompt, agents = new[] { "alpha" } });

        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Failed", State(task));
        Assert.Equal(["alpha"], task["agents"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(["alpha"], Attempts(task).Select(a => a["agent"]!.GetValue<string>()));
    }

    [Fact]
    public async Task When_every_agent_fails_the_task_fails_with_the_whole_history()
    {
        var id = await _api.SubmitAsync(new { prompt = "alpha=9:2:segfault in tool;beta=9:3:still broken", agents = new[] { "alpha", "beta" } });

        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Failed", State(task));
        var attempts = Attempts(task);
        Assert.True(attempts.Count == 6, task.ToJsonString());
        Assert.All(attempts, a => Assert.Equal("AgentFailure", a["errorClass"]!.GetValue<string>()));
        Assert.Equal([2, 2, 2, 3, 3, 3], attempts.Select(a => a["exitCode"]!.GetValue<int>()));
        Assert.Contains("still broken", task["error"]!.GetValue<string>());
        Assert.EndsWith("→Failed", Transitions(task).Last());
        // Both jobs faulted (that is how the chain moves on), yet neither is a dead letter: their failures are on the record.
        foreach (var queue in new[] { "agent-alpha_error", "agent-beta_error" })
        {
            var listed = JsonNode.Parse(await _api.Http.GetStringAsync($"api/dead-letters?queue={queue}&limit=100"))!;
            Assert.DoesNotContain(listed.AsArray().SelectMany(q => q!["messages"]!.AsArray()), m => m!["taskId"]?.GetValue<string>() == id.ToString());
        }
    }

    [Fact]
    public async Task An_attempt_over_its_timeout_has_its_whole_process_tree_killed_and_is_retried()
    {
        var id = await _api.SubmitAsync(new { prompt = "gamma=1:0:sleep:120", agent = "gamma", timeoutSeconds = 2 });

        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Succeeded", State(task));
        var attempts = Attempts(task);
        Assert.Equal("Timeout", attempts[0]["errorClass"]!.GetValue<string>());
        Assert.All(ProcessTree.Pids(Path.Combine(fixture.State, $"{id}.pids")),
            pid => Assert.True(ProcessTree.IsGone(pid), $"the agent's child process {pid} outlived the timeout"));
    }

    [Fact]
    public async Task A_cycle_in_the_fallback_settings_is_rejected_at_submit()
    {
        using var response = await _api.Http.PostAsJsonAsync("/api/tasks", new { prompt = "x", agent = "loop1", fallback = true });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains("cycle: loop1 → loop2 → loop1", problem["errors"]!["agent"]![0]!.GetValue<string>());
    }

    internal static string State(JsonNode task) => task["state"]!.GetValue<string>();

    internal static List<JsonNode> Attempts(JsonNode task) => task["attempts"]!.AsArray().Select(a => a!).ToList();

    internal static List<string> Transitions(JsonNode task) =>
        task["transitions"]!.AsArray().Select(t => $"{t!["from"]}→{t["to"]}").ToList();

    internal static DateTime Time(JsonNode node, string field) => node[field]!.GetValue<DateTime>().ToUniversalTime();
}
