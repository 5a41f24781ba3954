using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Supervisor.IntegrationTests.Controls;

/// <summary>
/// A task's budget: its attempts' reported cost and tokens, summed, stop or park the task when they reach it, and raising
/// the budget lets it go on, on the agent it stopped on. <c>costly</c> is a real process that prints a Claude Code result
/// line, its cost and usage chosen by the prompt; a counter file makes its first attempts fail (a provider 500, retried).
/// Spill-only agents take a task only when the agent before it was held back by a limit.
/// </summary>
[Collection(ControlsCollection.Name)]
public sealed class Budgets(ControlsFixture fixture)
{
    readonly Infrastructure.ApiClient _api = fixture.Stack.Api;
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_task_that_reaches_its_cost_budget_stops_naming_it_and_a_raised_budget_resumes_it_on_the_same_agent()
    {
        var id = await _api.SubmitAsync(new { prompt = CostlyPrompt(failures: 2, costUsd: 0.6m, tokens: 100), agent = "costly", maxCostUsd = 1.0m });

        var stopped = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Failed", stopped["state"]!.GetValue<string>());
        Assert.Equal("costly: budget: maxCostUsd $1.00 reached ($1.20 spent)", stopped["error"]!.GetValue<string>());
        Assert.Equal(2, stopped["attempts"]!.AsArray().Count);
        var budget = stopped["budget"]!;
        Assert.Equal((1.2m, 200L, "stop"), (budget["spentUsd"]!.GetValue<decimal>(), budget["spentTokens"]!.GetValue<long>(), budget["onBudget"]!.GetValue<string>()));

        var (status, body) = await SetBudgetAsync(id, new { maxCostUsd = 5.0m, by = "dana", reason = "worth it" });

        Assert.Equal(202, status);
        Assert.Equal(5.0m, body!["budget"]!["maxCostUsd"]!.GetValue<decimal>());
        var done = await _api.WaitForAsync(id, Timeout, "Succeeded");
        Assert.Equal(["costly", "costly", "costly"], done["attempts"]!.AsArray().Select(a => a!["agent"]!.GetValue<string>()));
        Assert.Null(done["budget"]!["reached"]);
        Assert.Contains(done["transitions"]!.AsArray(), t => t!["event"]!.GetValue<string>() == "BudgetChanged" && t["by"]!.GetValue<string>() == "dana"
            && t["reason"]!.GetValue<string>() == "maxCostUsd $5.00, maxTokens none: worth it ($1.20 and 200 tokens spent)");
    }

    [Fact]
    public async Task A_task_that_parks_on_its_token_budget_is_paused_by_it_and_resumes_when_the_budget_is_raised()
    {
        var id = await _api.SubmitAsync(new
        {
            prompt = CostlyPrompt(failures: 1, costUsd: 0.01m, tokens: 400),
            agent = "costly",
            maxTokens = 300,
            onBudget = "park",
        });

        var paused = await _api.WaitForAsync(id, Timeout, "Paused");

        var pause = paused["transitions"]!.AsArray().Last()!;
        Assert.Equal(("Paused", "budget", "budget: maxTokens 300 reached (400 used)"),
            (pause["to"]!.GetValue<string>(), pause["by"]!.GetValue<string>(), pause["reason"]!.GetValue<string>()));
        Assert.Equal("budget: maxTokens 300 reached (400 used)", paused["budget"]!["reached"]!.GetValue<string>());

        // Raised, but still under what was spent: the task stays paused.
        var (_, still) = await SetBudgetAsync(id, new { maxTokens = 350 });
        Assert.Equal("Paused", still!["state"]!.GetValue<string>());

        await SetBudgetAsync(id, new { maxTokens = 2000 });
        var done = await _api.WaitForAsync(id, Timeout, "Succeeded", "Failed");
        Assert.Equal("Succeeded", done["state"]!.GetValue<string>());
        Assert.Equal(800, done["budget"]!["spentTokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_worker_ends_an_attempt_whose_live_usage_goes_past_the_budget_and_the_task_stops_without_a_retry()
    {
        var marker = Path.Combine(fixture.State, $"{Guid.NewGuid():N}.finished");
        // Ten messages of 500 tokens each, a third of a second apart, as Claude Code streams them; then a marker.
        var prompt = "for i in 1 2 3 4 5 6 7 8 9 10; do echo '{\"type\":\"assistant\",\"message\":{\"id\":\"msg_'$i'\",\"usage\":"
            + "{\"input_tokens\":250,\"output_tokens\":250}}}'; sleep 0.3; done; touch " + marker
            + "; echo '{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":\"done\"}'";

        var id = await _api.SubmitAsync(new { prompt, agent = "costly", maxTokens = 1200 });
        var stopped = await _api.WaitForAsync(id, Timeout);

        var attempt = Assert.Single(stopped["attempts"]!.AsArray())!;
        Assert.Equal(("Failed", "BudgetExceeded"), (stopped["state"]!.GetValue<string>(), attempt["errorClass"]!.GetValue<string>()));
        Assert.StartsWith("budget: the attempt used 1 500 tokens, more than the 1 200 left of the task's maxTokens", attempt["message"]!.GetValue<string>(),
            StringComparison.Ordinal);
        // The task's usage is everything the agent printed until it died: a message more may arrive between the worker's
        // decision and the kill on a loaded machine, never the five still to come.
        Assert.Matches(@"^costly: budget: maxTokens 1 200 reached \((1 500|2 000) used\)$", stopped["error"]!.GetValue<string>());
        Assert.False(File.Exists(marker), "the agent ran to its end past the budget");
    }

    [Fact]
    public async Task Budget_bounds_out_of_range_are_refused_naming_the_field()
    {
        using var submit = await _api.Http.PostAsJsonAsync("/api/tasks", new { prompt = "true", maxCostUsd = -1, maxTokens = 0, onBudget = "later" });
        var errors = JsonNode.Parse(await submit.Content.ReadAsStringAsync())!["errors"]!;
        Assert.Equal(400, (int)submit.StatusCode);
        Assert.NotNull(errors["maxCostUsd"]);
        Assert.NotNull(errors["maxTokens"]);
        Assert.Contains("'later' is not one of stop, park", errors["onBudget"]![0]!.GetValue<string>(), StringComparison.Ordinal);

        var id = await _api.SubmitAsync(new { prompt = "true" });
        var (status, body) = await SetBudgetAsync(id, new { reason = "nothing to set" });
        Assert.Equal(400, status);
        Assert.NotNull(body!["errors"]!["maxCostUsd"]);
        await _api.WaitForAsync(id, Timeout, "Succeeded");
        var (late, problem) = await SetBudgetAsync(id, new { maxCostUsd = 1 });
        Assert.Equal(409, late);
        Assert.Contains("The task is Succeeded", problem!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spill_only_agent_takes_a_task_whose_agent_ran_into_a_limit_and_is_skipped_when_it_failed_otherwise()
    {
        // The chain's first agent (shell: no WHO) fails for its own reasons: the spill-only agent is skipped.
        var failed = await _api.SubmitAsync(new { prompt = "[ -n \"$WHO\" ] || exit 3; echo ran on $WHO", agents = new[] { "shell", "spill", "after" } });
        var skipped = await _api.WaitForAsync(failed, Timeout, "Succeeded", "Failed");
        Assert.Equal("after", skipped["result"]!["agent"]!.GetValue<string>());
        Assert.DoesNotContain(skipped["attempts"]!.AsArray(), a => a!["agent"]!.GetValue<string>() == "spill");

        // It runs into a rate limit until its retries are used up: the spill-only agent takes the overflow.
        var limited = await _api.SubmitAsync(new
        {
            prompt = "[ -n \"$WHO\" ] || { echo 'HTTP 429 Too Many Requests' >&2; exit 1; }; echo ran on $WHO",
            agents = new[] { "shell", "spill", "after" },
        });
        var spilled = await _api.WaitForAsync(limited, Timeout, "Succeeded", "Failed");
        Assert.Equal("spill", spilled["result"]!["agent"]!.GetValue<string>());
    }

    /// <summary>
    /// A prompt for <c>costly</c>: its first <paramref name="failures"/> runs (counted in a file of their own) end with a
    /// provider 500, and every run reports <paramref name="costUsd"/> and <paramref name="tokens"/> (half in, half out).
    /// </summary>
    string CostlyPrompt(int failures, decimal costUsd, int tokens)
    {
        var counter = Path.Combine(fixture.State, $"{Guid.NewGuid():N}.runs");
        var usage = $"\"total_cost_usd\":{costUsd.ToString(System.Globalization.CultureInfo.InvariantCulture)},"
            + $"\"usage\":{{\"input_tokens\":{tokens / 2},\"output_tokens\":{tokens - (tokens / 2)}}}";
        // umask 0: each run is an agent user of its own, and the next one rewrites the counter.
        return $"umask 0; n=$(($(cat {counter} 2>/dev/null || echo 0) + 1)); echo $n > {counter}; "
            + $"if [ $n -le {failures} ]; then echo '{{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":true,\"api_error_status\":500,"
            + $"\"result\":\"API Error: 500 overloaded\",{usage}}}'; exit 1; fi; "
            + $"echo '{{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":\"done\",{usage}}}'";
    }

    async Task<(int Status, JsonNode? Body)> SetBudgetAsync(Guid id, object body)
    {
        // As dana: the trail names the token that set the budget (a `by` in the body is ignored).
        using var dana = _api.As("dana");
        using var response = await dana.Http.PostAsJsonAsync($"/api/tasks/{id}/budget", body);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }
}
