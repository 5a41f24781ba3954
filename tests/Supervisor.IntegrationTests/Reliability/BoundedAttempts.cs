using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;
using static Supervisor.IntegrationTests.Reliability.RetryAndFallback;

namespace Supervisor.IntegrationTests.Reliability;

/// <summary>Limits that end an attempt rather than let it hang or grow: idle timeout, memory limit, the broker's consumer timeout.</summary>
[Collection(ReliabilityCollection.Name)]
public sealed class BoundedAttempts(ReliabilityFixture fixture)
{
    readonly ApiClient _api = fixture.Stack.Api;
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task An_agent_silent_for_its_idle_timeout_ends_as_a_stalled_Timeout_and_is_retried()
    {
        // The first run prints one line, then sleeps 30 s without a word; quiet's idle timeout is 2 s.
        var id = await _api.SubmitAsync(new { prompt = "quiet=1:0:sleep:30", agent = "quiet" });

        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Succeeded", State(task));
        var attempts = Attempts(task);
        Assert.Equal(2, attempts.Count);
        Assert.Equal("Timeout", attempts[0]["errorClass"]!.GetValue<string>());
        Assert.Contains("stalled: no output for 2 s", attempts[0]["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_agent_over_its_memory_limit_fails_as_AgentFailure_with_its_allocation_error()
    {
        var id = await _api.SubmitAsync(new { prompt = "eat", agent = "hungry" });

        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Failed", State(task));
        var first = Attempts(task)[0];
        Assert.Equal("AgentFailure", first["errorClass"]!.GetValue<string>());
        Assert.Contains("memory exhausted", first["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_timeout_the_broker_would_cut_off_is_refused_at_submit_naming_timeoutSeconds()
    {
        // ConsumerTimeout 4h: the agent and its verify command (each up to the timeout) and 15 min must fit, so 6750 s at most.
        var id = Guid.NewGuid();
        using var response = await _api.Http.PostAsJsonAsync("/api/tasks", new { id, prompt = "x", agent = "gamma", timeoutSeconds = 6751 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsObject();
        Assert.Contains("the broker would cut a longer attempt off", errors["timeoutSeconds"]![0]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await _api.Http.GetAsync($"/api/tasks/{id}")).StatusCode);
        using var accepted = await _api.Http.PostAsJsonAsync("/api/tasks", new { prompt = "x", agent = "gamma", timeoutSeconds = 6750 });
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
    }
}
