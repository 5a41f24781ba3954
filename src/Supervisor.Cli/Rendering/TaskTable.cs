using Spectre.Console;
using Supervisor.Cli.Api;
using Supervisor.Contracts;

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
                State(task, now),
                Markup.Escape(agent),
                Format.Age(task.CreatedAt, now),
                Markup.Escape(Format.OneLine(task.Prompt, PromptWidth)));
        }

        console.Write(table);
    }

    // A delayed task waits as Submitted like one the service has not got to yet: its start time tells them apart. A task
    // parked on a blocked account stays RetryScheduled like one between retries, and one queued on its full concurrency key
    // stays Submitted (past its start time): their wait tells them apart.
    static string State(TaskSummary task, DateTimeOffset now) => task switch
    {
        { Waiting: { } waiting } when !StateStyle.IsTerminal(task.State) =>
            $"{StateStyle.Markup(task.State)} [dim]({Markup.Escape(LimitView.Short(waiting, now))})[/]",
        { State: TaskStates.Submitted, RunAt: { } runAt } => $"{StateStyle.Markup(task.State)} [dim](at {Format.Moment(runAt, now)})[/]",
        _ => StateStyle.Markup(task.State),
    };
}
