using System.Net.Http.Json;
using Supervisor.IntegrationTests.Infrastructure;
using static Supervisor.IntegrationTests.RealAgents.RealAgentTask;

namespace Supervisor.IntegrationTests.RealAgents;

/// <summary>
/// A task's budget with the real Claude Code CLI: the worker reads the usage of each message claude streams, ends the
/// attempt once it passes what the task's budget left, and the task stops; a raised budget lets it go on and succeed.
/// </summary>
[Collection(RealAgentsCollection.Name)]
public sealed class RealBudgets(RealAgentsFixture fixture)
{
    readonly ApiClient _api = fixture.Stack.Api;

    [Fact]
    public async Task Claude_is_stopped_when_its_streamed_usage_passes_the_task_s_token_budget_and_a_raised_budget_resumes_the_task()
    {
        using var work = await CreateAsync(_api);
        await fixture.Stub.ScriptAsync(work.Case, [], file: "notes.txt", api: "anthropic");

        var id = await _api.SubmitAsync(new { prompt = work.Prompt("notes.txt"), agents = new[] { "claude" }, maxTokens = 1000, expectChanges = false });
        var stopped = await _api.WaitForAsync(id, RealAgentTask.Timeout);

        Assert.Equal("Failed", State(stopped));
        var attempt = Assert.Single(Attempts(stopped));
        Assert.Equal("BudgetExceeded", attempt["errorClass"]!.GetValue<string>());
        Assert.StartsWith("budget: the attempt used ", attempt["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("claude: budget: maxTokens 1 000 reached (", stopped["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(AgentProcesses.Of(id));

        using var raise = await _api.Http.PostAsJsonAsync($"/api/tasks/{id}/budget", new { maxTokens = 10_000_000, reason = "let it finish" });
        Assert.Equal(202, (int)raise.StatusCode);
        var done = await _api.WaitForAsync(id, RealAgentTask.Timeout, "Succeeded", "Failed");

        Assert.Equal("Succeeded", State(done));
        Assert.Equal([("claude", "BudgetExceeded"), ("claude", null)], Outcomes(done));
        Assert.Null(done["budget"]!["reached"]);
    }
}
