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
