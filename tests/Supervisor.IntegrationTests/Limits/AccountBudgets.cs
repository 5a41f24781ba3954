using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Supervisor.Cli.Api;

namespace Supervisor.IntegrationTests.Limits;

/// <summary>
/// An account's daily budget, on the <see cref="AccountBlocks"/> stack: <c>budgeted</c> is a shell agent whose output is
/// Claude's JSON result, each run costing $0.60, on the account <c>budgeted/one</c> whose configured daily budget is $1.20.
/// </summary>
public sealed partial class AccountBlocks
{
    const string BudgetedOne = AccountBlocksFixture.BudgetedOne;

    /// <summary>The escaped id, as it goes in a path.</summary>
    static readonly string BudgetedPath = "/api/accounts/" + Uri.EscapeDataString(BudgetedOne);

    [Fact]
    public async Task A_reached_daily_budget_parks_the_next_task_and_raising_the_budget_releases_it()
    {
        // Two runs spend the $1.20; the budget is reached once they have ended. (A wait on a daily budget lasts until the next
        // day: the task may wait up to a week.)
        foreach (var i in new[] { 1, 2 })
            await _stack.Api.WaitForAsync(await _stack.Api.SubmitAsync(new { prompt = $"spend {i}", agent = "budgeted" }), TimeSpan.FromSeconds(60), "Succeeded");
        var reached = await WaitForAccountAsync("budgeted", BudgetedOne, a => a["state"]!.GetValue<string>() == "budgetReached");
        Assert.Equal((1.2m, "config", 1.2m, true), Budget(reached["budgets"]!["daily"]!));

        var parked = await _stack.Api.SubmitAsync(new { prompt = "over budget", agent = "budgeted", maxWait = "7d" });
        await WaitForTransitionAsync(parked, "Waiting");
        var waiting = await _stack.Api.WaitForAsync(parked, TimeSpan.FromSeconds(10), "RetryScheduled");
        Assert.Empty(waiting["attempts"]!.AsArray());
        Assert.Equal((BudgetedOne, "budget"), (waiting["waiting"]!["account"]!.GetValue<string>(), waiting["waiting"]!["reason"]!.GetValue<string>()));
        var detail = JsonNode.Parse(await _stack.Api.Http.GetStringAsync(BudgetedPath))!;
        Assert.Equal(parked, Assert.Single(detail["waitingTasks"]!.AsArray())!["taskId"]!.GetValue<Guid>());

        // Raised as the CLI does it (supervisor accounts budget budgeted/one --daily 5): its client escapes the id's slash.
        using var cli = new ApiClient(_stack.Api.Http.BaseAddress!, Infrastructure.TestTokens.Of(Infrastructure.TestTokens.Admin));
        var raised = (await cli.SetAccountBudgetAsync(BudgetedOne, new JsonObject { ["dailyUsd"] = 5, ["by"] = "integration test" }, default)).Value;
        Assert.Equal(("ok", 5m, "operator", 1.2m), (raised.Account.State, raised.Account.Budgets!.Daily!.Usd, raised.Account.Budgets.Daily.Source,
            raised.Account.Budgets.Daily.SpentUsd));

        // The release step sees the raised budget and lets the task go; it runs and succeeds.
        var succeeded = await _stack.Api.WaitForAsync(parked, TimeSpan.FromSeconds(60), "Succeeded");
        Assert.Equal(0.6m, Assert.Single(succeeded["attempts"]!.AsArray())!["usage"]!["costUsd"]!.GetValue<decimal>());
        Assert.Contains(Transitions(succeeded), r => r["event"]!.GetValue<string>() == "Released");

        // --daily none: back to the configured $1.20, which the $1.80 spent has passed.
        var back = (await cli.SetAccountBudgetAsync(BudgetedOne, new JsonObject { ["dailyUsd"] = null }, default)).Value;
        Assert.Equal(("budgetReached", 1.2m, "config"), (back.Account.State, back.Account.Budgets!.Daily!.Usd, back.Account.Budgets.Daily.Source));
        Assert.Equal("budgeted", (await cli.GetAccountAsync(BudgetedOne, default)).Value.Agent);
        // A task that will not wait for tomorrow, with no agent to fall back to, fails naming the budget, as a budget.
        var impatient = await _stack.Api.WaitForAsync(await _stack.Api.SubmitAsync(new { prompt = "no wait", agent = "budgeted", maxWait = "0s" }),
            TimeSpan.FromSeconds(60));
        Assert.Equal("Failed", impatient["state"]!.GetValue<string>());
        Assert.StartsWith($"budgeted: BudgetExceeded: {BudgetedOne} reached its daily budget of $1.20 ($1.80 spent)", impatient["error"]!.GetValue<string>(),
            StringComparison.Ordinal);
        var invalid = await _stack.Api.Http.PostAsJsonAsync(BudgetedPath + "/budget", new { monthlyUsd = -1 });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("monthlyUsd", await invalid.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var unknown = await _stack.Api.Http.PostAsJsonAsync("/api/accounts/" + Uri.EscapeDataString("budgeted/none") + "/budget", new { dailyUsd = 1 });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains($"supervisor_account_budget_spent_usd{{account=\"{BudgetedOne}\",window=\"day\"}} 1.8", await _stack.Api.Http.GetStringAsync("/metrics"),
            StringComparison.Ordinal);
    }

    static (decimal? Usd, string Source, decimal Spent, bool Reached) Budget(JsonNode budget) =>
        (budget["usd"]?.GetValue<decimal>(), budget["source"]!.GetValue<string>(), budget["spentUsd"]!.GetValue<decimal>(), budget["reached"]!.GetValue<bool>());
}
