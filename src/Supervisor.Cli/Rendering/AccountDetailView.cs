using System.Globalization;
using Spectre.Console;
using Supervisor.Cli.Api;

namespace Supervisor.Cli.Rendering;

/// <summary><c>supervisor accounts show|budget</c>: an account's state, budgets with their spend, cap, and waiting tasks.</summary>
static class AccountDetailView
{
    public static void Write(IAnsiConsole console, AccountDetail detail, DateTimeOffset now)
    {
        var account = detail.Account;
        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        void Row(string name, string markup) => grid.AddRow($"[bold]{name}[/]", markup);

        Row("Account", Markup.Escape(account.Id));
        Row("Agent", Markup.Escape(detail.Agent));
        Row("State", AgentsView.AccountState(account, now));
        if (account.Billing is { } billing)
        {
            Row("Billing", Markup.Escape(billing) + (account.SpillOnly ? " [dim](spill-only: takes a chain's overflow while the agent before it is held back)[/]" : ""));
        }

        Row("Daily budget", Budget(account.Budgets?.Daily, "today", now));
        Row("Monthly budget", Budget(account.Budgets?.Monthly, "this month", now));
        Row("Running", account.MaxConcurrent is { } cap ? $"{account.Running} of {cap}" : $"{account.Running} [dim](no cap)[/]");
        Row("Waiting", account.Waiting.ToString(CultureInfo.InvariantCulture));
        console.Write(grid);

        foreach (var waiter in detail.WaitingTasks ?? [])
        {
            var released = waiter.Released ? " [green]released[/]" : "";
            console.MarkupLine($"  {Format.ShortId(waiter.TaskId)} [dim]waiting since {Format.Moment(waiter.Since, now)}[/]{released}");
        }
    }

    /// <summary><c>$0.60 of $1.20 spent today (config); renews 00:00</c>, or <c>none ($0.60 spent today)</c>.</summary>
    public static string Budget(BudgetView? budget, string window, DateTimeOffset now)
    {
        if (budget is null)
        {
            return "[dim]?[/]";
        }

        var spent = Usd(budget.SpentUsd);
        if (budget.Usd is not { } usd)
        {
            return $"none [dim]({spent} spent {window})[/]";
        }

        var text = $"{spent} of {Usd(usd)} spent {window} [dim]({Markup.Escape(budget.Source ?? "config")})[/]";
        var renews = budget.RenewsAt is { } at ? $"; renews {Format.Moment(at, now)}" : "";
        return budget.Reached ? $"[red]{text} reached[/]{renews}" : text + renews;
    }

    public static string Usd(decimal amount) => "$" + amount.ToString("0.00", CultureInfo.InvariantCulture);
}
