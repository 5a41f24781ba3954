using System.CommandLine;
using Supervisor.Cli.Api;
using Supervisor.Cli.Rendering;

namespace Supervisor.Cli.Commands;

/// <summary><c>supervisor show ID</c> → <c>GET /api/tasks/{id}</c>: header, timeline, result or error.</summary>
static class ShowCommand
{
    static readonly Argument<string> Id = TaskIdArgument.Create();

    public static Command Create()
    {
        var command = new Command("show", "Show a task: its agents, timeline of states and attempts, and result") { Id };
        command.SetApiAction(RunAsync);
        return command.WithExamples("supervisor show 3f2a1b2c", "supervisor show 3f2a1b2c-8d4e-4f6a-9b1c-2d3e4f5a6b7c --json");
    }

    static async Task<int> RunAsync(ParseResult parse, ApiClient api, CancellationToken ct)
    {
        var id = await TaskIdArgument.ResolveAsync(api, parse.GetRequiredValue(Id), ct);
        var task = await api.GetTaskAsync(id, ct);
        if (parse.GetValue(GlobalOptions.Json))
        {
            Output.Json(task.Json);
        }
        else
        {
            TaskView.Write(Output.Human, task.Value, DateTimeOffset.UtcNow);
        }

        return ExitCodes.Success;
    }
}
