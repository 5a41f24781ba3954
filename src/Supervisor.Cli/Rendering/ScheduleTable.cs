using System.Globalization;
using Spectre.Console;
using Supervisor.Cli.Api;

namespace Supervisor.Cli.Rendering;

/// <summary>The <c>schedule list</c> table: one row per schedule, newest as the API orders them.</summary>
static class ScheduleTable
{
    public static void Write(IAnsiConsole console, IReadOnlyList<ScheduleSummary> schedules, DateTimeOffset now)
    {
        if (schedules.Count == 0)
        {
            console.MarkupLine("[dim]no schedules[/]");
            return;
        }

        var table = new Table().Border(TableBorder.None)
            .AddColumn("ID").AddColumn("NAME").AddColumn("WHEN").AddColumn("TZ").AddColumn("OVERLAP").AddColumn("STATE")
            .AddColumn(new TableColumn("LAST").RightAligned()).AddColumn(new TableColumn("NEXT").RightAligned())
            .AddColumn(new TableColumn("OPEN").RightAligned());
        Columns.Spread(table);
        foreach (var schedule in schedules)
        {
            table.AddRow(
                Format.ShortId(schedule.Id),
                Markup.Escape(schedule.Name ?? ""),
                Markup.Escape(ScheduleView.When(schedule.Cron, schedule.Every)),
                Markup.Escape(schedule.TimeZone ?? ""),
                Markup.Escape(schedule.Overlap ?? ""),
                ScheduleView.State(schedule.Paused),
                schedule.LastFireAt is { } last ? $"{Format.Age(last, now)} ago" : "[dim]-[/]",
                Next(schedule.NextFireAt, now),
                schedule.OpenTasks.ToString(CultureInfo.InvariantCulture));
        }

        console.Write(table);
    }

    static string Next(DateTimeOffset? next, DateTimeOffset now) => next switch
    {
        null => "[dim]-[/]",
        { } at when at > now => $"in {Format.Countdown(at - now)}",
        _ => "due",
    };
}
