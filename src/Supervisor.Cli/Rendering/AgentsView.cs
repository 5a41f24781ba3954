using System.Globalization;
using Spectre.Console;
using Supervisor.Cli.Api;

namespace Supervisor.Cli.Rendering;

/// <summary>The <c>agents</c> view: a summary table, then each agent's workers.</summary>
static class AgentsView
{
    public static void Write(IAnsiConsole console, IReadOnlyList<AgentView> agents, DateTimeOffset now)
    {
        if (agents.Count == 0)
        {
            console.MarkupLine("[dim]no agents configured[/]");
            return;
        }

        var table = new Table().Border(TableBorder.None)
            .AddColumn("AGENT").AddColumn("ISOLATION").AddColumn("WORKERS").AddColumn(new TableColumn("BUSY").RightAligned())
            .AddColumn(new TableColumn("QUEUE").RightAligned()).AddColumn("FALLBACK");
        Columns.Spread(table);
        foreach (var agent in agents)
        {
            table.AddRow(
                Markup.Escape(agent.Name),
                Markup.Escape(agent.Isolation ?? ""),
                WorkerCounts(agent.Workers),
                agent.Workers?.Count(w => w.Busy && !w.Lost).ToString(CultureInfo.InvariantCulture) ?? "?",
                agent.QueueDepth?.ToString(CultureInfo.InvariantCulture) ?? "?",
                Markup.Escape(agent.Fallback ?? ""));
        }

        console.Write(table);

        var accounts = agents.SelectMany(a => (a.Accounts ?? []).Select(account => (Agent: a.Name, Account: account))).ToList();
        if (accounts.Count > 0)
        {
            var accountTable = new Table().Border(TableBorder.None).AddColumn("AGENT").AddColumn("ACCOUNT").AddColumn("STATE")
                .AddColumn(new TableColumn("RUNNING").RightAligned()).AddColumn(new TableColumn("WAITING").RightAligned()).AddColumn("LAST LIMIT");
            Columns.Spread(accountTable);
            foreach (var (agent, account) in accounts)
            {
                var running = account.MaxConcurrent is { } cap ? $"{account.Running}/{cap}" : account.Running.ToString(CultureInfo.InvariantCulture);
                accountTable.AddRow(Markup.Escape(agent), Markup.Escape(account.Id), AccountState(account, now), running,
                    account.Waiting.ToString(CultureInfo.InvariantCulture), LastLimit(account, now));
            }

            console.WriteLine();
            console.Write(accountTable);
        }

        foreach (var agent in agents.Where(a => a.Workers is { Count: > 0 }))
        {
            var tree = new Tree($"[bold]{Markup.Escape(agent.Name)}[/] [dim]workers[/]");
            foreach (var worker in agent.Workers!)
            {
                tree.AddNode(Worker(worker, now));
            }

            console.Write(tree);
        }
    }

    // "?" rather than "0 live" when the service does not say: no data is not the same as no workers.
    static string WorkerCounts(IReadOnlyList<WorkerView>? workers)
    {
        if (workers is null)
        {
            return "?";
        }

        var live = workers.Count(w => !w.Lost);
        var lost = workers.Count - live;
        var liveMarkup = live == 0 ? "[red]0 live[/]" : $"{live} live";
        return lost == 0 ? liveMarkup : $"{liveMarkup}, [red]{lost} lost[/]";
    }

    /// <summary><c>ok</c>, <c>blocked until 14:05 (in 11m, usage window)</c>, or <c>probing (after a usage window)</c>.</summary>
    public static string AccountState(AccountView account, DateTimeOffset now)
    {
        var kind = account.Kind switch
        {
            "rateLimit" => "rate limit",
            "usageWindow" => "usage window",
            { } other => other,
            null => "limit",
        };
        if (account.State == "probing")
        {
            var probe = account.ProbeTask is { } task ? $"task {Format.ShortId(task)} tests it" : "the next start tests it";
            return $"[yellow]probing[/] [dim](after a {Markup.Escape(kind)}; {probe})[/]";
        }

        if (account.State == "budgetReached")
        {
            return $"[red]budget reached[/] [dim]({Markup.Escape(BudgetReached(account.Budgets))})[/]";
        }

        if (account.State is not ("cooling" or "blocked") || account.Until is not { } until)
        {
            return "[green]ok[/]";
        }

        var left = until > now ? $"in {Format.Countdown(until - now)}" : "ending";
        return $"[yellow]{account.State} until {Format.Moment(until, now)}[/] [dim]({left}, {Markup.Escape(kind)})[/]";
    }

    /// <summary>Which budget is reached, and its spend: <c>daily $1.20 of $1.20</c>.</summary>
    static string BudgetReached(AccountBudgets? budgets)
    {
        var reached = new[] { ("daily", budgets?.Daily), ("monthly", budgets?.Monthly) }
            .Where(b => b.Item2 is { Reached: true, Usd: not null })
            .Select(b => $"{b.Item1} {AccountDetailView.Usd(b.Item2!.SpentUsd)} of {AccountDetailView.Usd(b.Item2.Usd!.Value)}");
        return string.Join(", ", reached) is { Length: > 0 } text ? text : "spend at its budget";
    }

    static string LastLimit(AccountView account, DateTimeOffset now) =>
        account.LastSignalAt is { } at
            ? $"[dim]{Format.Age(at, now)} ago:[/] {Markup.Escape(Format.OneLine(account.LastSignal, 60))}"
            : "[dim]none[/]";

    static string Worker(WorkerView worker, DateTimeOffset now)
    {
        var status = worker.Lost ? "[red]lost[/]" : worker.Busy ? "[yellow]busy[/]" : "[green]idle[/]";
        var parts = new List<string> { Markup.Escape(worker.Id), Markup.Escape(worker.Host ?? ""), status };
        if (worker.CurrentTask is { } task)
        {
            parts.Add($"task {Format.ShortId(task)}");
        }

        if (worker.LastHeartbeat is { } heartbeat)
        {
            parts.Add($"[dim]heartbeat {Format.Age(heartbeat, now)} ago[/]");
        }

        return string.Join("  ", parts.Where(p => p.Length > 0));
    }
}
