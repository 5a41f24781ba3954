using System.CommandLine;
using Spectre.Console;
using Supervisor.Cli.Api;
using Supervisor.Cli.Rendering;

namespace Supervisor.Cli.Commands;

/// <summary>
/// <c>cancel | pause | resume | approve | reject | retry ID</c> → <c>POST /api/tasks/{id}/{verb}</c>. A verb that does not apply
/// in the task's current state is a 409 from the API, shown with its detail.
/// </summary>
static class TaskActionCommands
{
    public static IEnumerable<Command> Create() =>
    [
        Create("cancel", "Cancel a task", withReason: true),
        Create("pause", "Pause a task: the running attempt finishes, no new attempt starts until resumed", withReason: false),
        Create("resume", "Resume a paused task", withReason: false),
        Create("approve", "Approve a task that is awaiting approval", withReason: true),
        Create("reject", "Reject a task that is awaiting approval", withReason: true),
        Create("retry", "Run a task that ended unsuccessfully again", withReason: false),
    ];

    static Command Create(string verb, string description, bool withReason)
    {
        var id = TaskIdArgument.Create();
        var reason = withReason ? new Option<string>("--reason") { Description = "Why; recorded in the task's audit trail", HelpName = "TEXT" } : null;
        var command = new Command(verb, description) { id };
        if (reason is not null)
        {
            command.Options.Add(reason);
        }

        command.SetApiAction(async (parse, api, ct) =>
        {
            var taskId = await TaskIdArgument.ResolveAsync(api, parse.GetRequiredValue(id), ct);
            var request = new TaskActionRequest(reason is null ? null : parse.GetValue(reason));
            var accepted = await api.ActAsync(taskId, verb, request, ct);
            if (parse.GetValue(GlobalOptions.Json))
            {
                Output.Json(accepted.Json);
            }
            else
            {
                var stopped = accepted.Value.Stopped switch
                {
                    true => " (no agent of it runs or will start)",
                    false => " (its worker has not yet confirmed that its agent stopped; it will be killed when the worker hears)",
                    null => "",
                };
                Output.Human.MarkupLine($"{Markup.Escape(accepted.Value.Id.ToString())}: {StateStyle.Markup(accepted.Value.State)}{Markup.Escape(stopped)}");
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
