using Supervisor.Cli.Api;
using Supervisor.Cli.Commands;
using Supervisor.Cli.Rendering;

namespace Supervisor.Tests.Cli;

/// <summary>
/// <c>supervisor accounts budget</c>'s values (dollars or <c>none</c>, anything else a usage error naming the option), and
/// a reached budget as <c>supervisor agents</c> and <c>accounts show</c> say it.
/// </summary>
public sealed class AccountsCommandSpecs
{
    static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("20", "20")]
    [InlineData("7.50", "7.50")]
    [InlineData("$12", "12")]
    [InlineData("0", "0")]
    [InlineData("1000000", "1000000")]
    public void A_budget_is_a_number_of_dollars(string text, string json) =>
        Assert.Equal(json, AccountsCommand.Usd("--daily", text)!.ToJsonString());

    [Theory]
    [InlineData("none")]
    [InlineData("None")]
    public void None_goes_back_to_the_configured_budget(string text) =>
        Assert.Null(AccountsCommand.Usd("--monthly", text));

    [Theory]
    [InlineData("-1")]
    [InlineData("twenty")]
    [InlineData("1000000.01")]
    [InlineData("")]
    public void Anything_else_is_a_usage_error_naming_the_option(string text) =>
        Assert.StartsWith("--daily: ", Assert.Throws<UsageException>(() => AccountsCommand.Usd("--daily", text)).Message, StringComparison.Ordinal);

    [Fact]
    public void A_reached_budget_shows_in_the_agents_account_table_with_its_spend()
    {
        var budgets = new AccountBudgets(new BudgetView(1.2m, "config", 1.2m, true, Now.AddHours(12)), new BudgetView(null, "config", 1.2m, false, null));
        var agents = new[]
        {
            new AgentView("budgeted", "/bin/sh", "worktree", null, 1, 1800, 0, [], [
                new AccountView("budgeted/one", "budgetReached", null, null, null, null, null, 0, 1, Waiting: 1, Budgets: budgets),
            ]),
        };

        var line = Assert.Single(Rendered.Lines(console => AgentsView.Write(console, agents, Now)), l => l.Contains("budgeted/one", StringComparison.Ordinal));

        Assert.Contains("budget reached (daily $1.20 of $1.20)", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Accounts_show_gives_each_budget_its_spend_and_source_and_lists_the_waiting_tasks()
    {
        var budgets = new AccountBudgets(new BudgetView(5m, "operator", 1.2m, false, Now.AddHours(12)), new BudgetView(null, "config", 1.2m, false, null));
        var task = Guid.Parse("0b7e8f2a-0000-0000-0000-000000000000");
        var detail = new AccountDetail("budgeted", new AccountView("budgeted/one", "ok", null, null, null, null, null, 0, 1, Waiting: 1, Budgets: budgets),
            [new AccountWaiter(task, Now.AddMinutes(-3), false)]);

        var lines = Rendered.Lines(console => AccountDetailView.Write(console, detail, Now));

        Assert.Contains(lines, l => l.Contains("$1.20 of $5.00 spent today (operator)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("none ($1.20 spent this month)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("0b7e8f2a waiting since", StringComparison.Ordinal));
    }
}
