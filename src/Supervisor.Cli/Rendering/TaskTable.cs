using Spectre.Console;
using Supervisor.Cli.Api;

namespace Supervisor.Cli.Rendering;

/// <summary>The <c>list</c> table: one row per task, newest as the API orders them.</summary>
static class TaskTable
{
    const int PromptWidth = 50;

    public static void Write(IAnsiConsole console, IReadOnlyList<TaskSummary> tasks, DateTimeOffset now)
    {
        if (tasks.Count == 0)
        {
            console.MarkupLine("[dim]no tasks[/]");
            return;
        }

        var table = new Table().Border(TableBorder.None)
            .AddColumn("ID").AddColumn("STATE").AddColumn("AGENT").AddColumn(new TableColumn("AGE").RightAligned()).AddColumn("PROMPT");
        Columns.Spread(table);
        foreach (var task in tasks)
        {
            var agent = task.CurrentAgent ?? (task.Agents is [var first, ..] ? first : null) ?? "";
            table.AddRow(
                Format.ShortId(task.Id),
                StateStyle.Markup(task.State),
                Markup.Escape(agent),
                Format.Age(task.CreatedAt, now),
                Markup.Escape(Format.OneLine(task.Prompt, PromptWidth)));
        }

        console.Write(table);
    }
}
