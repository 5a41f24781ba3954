using Spectre.Console;
using Supervisor.Cli.Api;

namespace Supervisor.Cli.Rendering;

/// <summary>The parts of <c>schedule show</c>: when and how it fires, the task it makes, and its recent fires.</summary>
static class ScheduleView
{
    public static void Write(IAnsiConsole console, ScheduleDetail schedule, DateTimeOffset now, int? fires = null)
    {
        WriteHeader(console, schedule, now);
        console.WriteLine();
        console.MarkupLine("[bold]TEMPLATE[/]");
        WriteTemplate(console, schedule.Template);
        console.WriteLine();
        console.MarkupLine("[bold]RECENT FIRES[/]");
        WriteFires(console, (schedule.RecentFires ?? []).Take(fires ?? int.MaxValue).ToList(), now);
    }

    /// <summary>A cron expression as it is, an interval as <c>every 2s</c>.</summary>
    public static string When(string? cron, string? every) =>
        cron is { Length: > 0 } ? cron : every is { Length: > 0 } ? $"every {Format.Units(every)}" : "";

    public static string State(bool paused) => paused ? "[blue]paused[/]" : "[green]active[/]";

    /// <summary><c>active</c>, or <c>paused</c> with by whom and why.</summary>
    public static string StateLine(ScheduleDetail schedule)
    {
        if (!schedule.Paused)
        {
            return State(paused: false);
        }

        var by = schedule.PausedBy is { Length: > 0 } who ? $" by {Markup.Escape(who)}" : "";
        var reason = schedule.PauseReason is { Length: > 0 } why ? $": {Markup.Escape(why)}" : "";
        return $"{State(paused: true)}{by}{reason}";
    }

    public static void WriteHeader(IAnsiConsole console, ScheduleDetail schedule, DateTimeOffset now)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        void Row(string name, string markup) => grid.AddRow($"[bold]{name}[/]", markup);

        Row("Schedule", Markup.Escape(schedule.Id.ToString()));
        Row("Name", schedule.Name is { Length: > 0 } name ? Markup.Escape(name) : "[dim](none)[/]");
        Row("When", Markup.Escape(When(schedule.Cron, schedule.Every)));
        Row("Zone", Markup.Escape(schedule.TimeZone ?? ""));
        Row("Overlap", Markup.Escape(schedule.Overlap ?? ""));
        Row("Catch-up", $"{Markup.Escape(schedule.CatchUp ?? "")} [dim](window {Markup.Escape(Format.Units(schedule.CatchUpWindow))})[/]");
        if (schedule.StartAt is { } start)
        {
            Row("Starts", Moment(start, now));
        }

        if (schedule.EndAt is { } end)
        {
            Row("Ends", Moment(end, now));
        }

        Row("State", StateLine(schedule));
        var by = schedule.CreatedBy is { Length: > 0 } creator ? $" by {Markup.Escape(creator)}" : "";
        Row("Created", $"{Format.Moment(schedule.CreatedAt, now)}{by} [dim]({Format.Age(schedule.CreatedAt, now)} ago)[/]");
        Row("Last fire", schedule.LastFireAt is { } last ? Moment(last, now) : "[dim]never[/]");
        Row("Next fire", schedule.NextFireAt is { } next ? Moment(next, now)
            : schedule.Paused ? "[dim]none while paused[/]"
            : "[dim]none[/]");
        if (schedule.Counts is { } counts)
        {
            Row("Not run", Markup.Escape($"{counts.MissedCatchUpWindow} missed the catch-up window, " +
                $"{counts.Coalesced} coalesced, {counts.OverlapSkipped} skipped for overlap"));
        }

        console.Write(grid);
    }

    static void WriteTemplate(IAnsiConsole console, TaskTemplate? template)
    {
        if (template is null)
        {
            console.MarkupLine("[dim](none)[/]");
            return;
        }

        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        void Row(string name, string markup) => grid.AddRow($"[bold]{name}[/]", markup);

        Row("Prompt", Markup.Escape(template.Prompt));
        var chain = template.Agents is { Count: > 0 } agents ? Markup.Escape(string.Join(" → ", agents))
            : template.Agent is { Length: > 0 } agent ? Markup.Escape(agent)
            : "[dim](service default)[/]";
        Row("Chain", template.Fallback == true ? chain + " [dim]→ its Fallback chain[/]" : chain);
        if (template.Model is { Length: > 0 } model)
        {
            Row("Model", Markup.Escape(model));
        }

        if (LimitView.Policy(template.OnLimit, template.MaxWait, template.MaxWindows) is { } policy)
        {
            Row("On limit", Markup.Escape(policy));
        }

        if (ConcurrencyView.Describe(template.ConcurrencyKey, template.ConcurrencyLimit, template.ConcurrencyStrategy) is { } key)
        {
            Row("Concurrency", Markup.Escape(key));
        }

        if (TaskBudgetText.Bounds(template.MaxCostUsd, template.MaxTokens, template.OnBudget) is { } bounds)
        {
            Row("Budget", Markup.Escape(bounds));
        }

        Row("Repository", TaskView.Repository(template.Repository));
        if (template.Risk is { Length: > 0 } risk)
        {
            Row("Risk", Markup.Escape(risk));
        }

        if (template.TimeoutSeconds is { } timeout)
        {
            Row("Timeout", $"{timeout} s");
        }

        if (template.Verify is { Length: > 0 } verify)
        {
            Row("Verify", Markup.Escape(verify));
        }

        if (template.ExpectChanges == true)
        {
            Row("Expects", "changes");
        }

        if (template.Labels is { Count: > 0 } labels)
        {
            Row("Labels", Markup.Escape(string.Join(", ", labels.Select(l => $"{l.Key}={l.Value}"))));
        }

        console.Write(grid);
    }

    static void WriteFires(IAnsiConsole console, List<FireView> fires, DateTimeOffset now)
    {
        if (fires.Count == 0)
        {
            console.MarkupLine("[dim]no fires yet[/]");
            return;
        }

        var table = new Table().Border(TableBorder.None)
            .AddColumn("SCHEDULED FOR").AddColumn("KIND").AddColumn("OUTCOME")
            .AddColumn("TASK").AddColumn("TASK STATE").AddColumn("REASON");
        Columns.Spread(table);
        foreach (var fire in fires)
        {
            table.AddRow(
                Format.Moment(fire.ScheduledFor, now),
                Markup.Escape(fire.Kind),
                Outcome(fire.Outcome),
                fire.TaskId is { } task ? Format.ShortId(task) : "",
                StateStyle.Markup(fire.TaskState),
                Markup.Escape(fire.Reason ?? ""));
        }

        console.Write(table);
    }

    static string Outcome(string outcome) => outcome switch
    {
        "submitted" => "[green]submitted[/]",
        "buffered" => "[yellow]buffered[/]",
        "skipped" => "[grey]skipped[/]",
        _ => Markup.Escape(outcome),
    };

    // A time with how far it is from now: "10:00:05 (in 4m 10s)", "09:55:00 (5m ago)".
    static string Moment(DateTimeOffset at, DateTimeOffset now)
    {
        var relative = at > now ? $"in {Format.Countdown(at - now)}" : $"{Format.Age(at, now)} ago";
        return $"{Format.Moment(at, now)} [dim]({relative})[/]";
    }
}
