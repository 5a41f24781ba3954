using System.CommandLine;
using Supervisor.Cli.Api;
using Supervisor.Cli.Rendering;
using Supervisor.Contracts;

namespace Supervisor.Cli.Commands;

/// <summary><c>supervisor list</c> → <c>GET /api/tasks?state=&amp;limit=&amp;waiting=&amp;agent=&amp;label=&amp;text=</c>.</summary>
static class ListCommand
{
    static readonly Option<string> State = new("--state")
    {
        Description = "Only tasks in this state: " + string.Join(", ", TaskStates.All),
        HelpName = "STATE",
        Validators =
        {
            result =>
            {
                var value = result.GetValueOrDefault<string>();
                if (Canonical(value) is null)
                {
                    result.AddError($"--state '{value}' is not a task state; use one of {string.Join(", ", TaskStates.All)}");
                }
            },
        },
    };

    static readonly Option<int?> Limit = new("--limit")
    {
        Description = "At most this many tasks (newest first)",
        HelpName = "N",
        CustomParser = Validation.PositiveInt("--limit must be a positive number"),
    };

    static readonly Option<bool> Waiting = new("--waiting")
    {
        Description = "Only tasks that wait: parked on a blocked provider account (shown as RetryScheduled (waiting until …)) " +
            "or queued on their full concurrency key (Submitted (queued on KEY))",
    };

    static readonly Option<string> Agent = new("--agent")
    {
        Description = "Only tasks with this agent anywhere in their chain",
        HelpName = "NAME",
    };

    static readonly Option<string> Label = new("--label")
    {
        Description = "Only tasks with this label: key (any value) or key=value",
        HelpName = "k[=v]",
        Validators =
        {
            result =>
            {
                if (result.GetValueOrDefault<string>() is { } value && (value.Length is 0 or > 200 || value.StartsWith('=')))
                {
                    result.AddError($"--label '{value}' must be key or key=value (1 to 200 characters, with a key)");
                }
            },
        },
    };

    static readonly Option<string> Text = new("--text")
    {
        Description = "Only tasks whose prompt contains this text, in any case",
        HelpName = "TEXT",
        Validators =
        {
            result =>
            {
                if (result.GetValueOrDefault<string>() is { } value && value.Length is 0 or > 200)
                {
                    result.AddError("--text must be 1 to 200 characters");
                }
            },
        },
    };

    public static Command Create()
    {
        var command = new Command("list", "List tasks") { State, Limit, Waiting, Agent, Label, Text };
        command.SetApiAction(RunAsync);
        return command.WithExamples("supervisor list --state Running", "supervisor list --waiting", "supervisor list --label team=web --text login",
            "supervisor list --limit 20 --json");
    }

    static async Task<int> RunAsync(ParseResult parse, ApiClient api, CancellationToken ct)
    {
        var filter = new TaskListFilter(parse.GetValue(Agent), parse.GetValue(Label), parse.GetValue(Text));
        var tasks = await api.ListTasksAsync(Canonical(parse.GetValue(State)), parse.GetValue(Limit), ct, waiting: parse.GetValue(Waiting), filter: filter);
        if (parse.GetValue(GlobalOptions.Json))
        {
            Output.Json(tasks.Json);
        }
        else
        {
            TaskTable.Write(Output.Human, tasks.Value, DateTimeOffset.UtcNow);
        }

        return ExitCodes.Success;
    }

    // State names are case-sensitive in the API; accept "running" on the command line and send "Running".
    static string? Canonical(string? state) =>
        state is null ? null : TaskStates.All.FirstOrDefault(s => string.Equals(s, state, StringComparison.OrdinalIgnoreCase));
}
