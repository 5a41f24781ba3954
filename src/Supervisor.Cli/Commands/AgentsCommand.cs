using System.CommandLine;
using Supervisor.Cli.Api;
using Supervisor.Cli.Rendering;

namespace Supervisor.Cli.Commands;

/// <summary><c>supervisor agents</c> → <c>GET /api/agents</c>: configured agents, their queues and workers.</summary>
static class AgentsCommand
{
    public static Command Create()
    {
        var command = new Command("agents", "List agents with their queue depth and workers");
        command.SetApiAction(RunAsync);
        return command.WithExamples("supervisor agents", "supervisor agents --json", "supervisor accounts show claude/3fa9c2d1e0b4");
    }

    static async Task<int> RunAsync(ParseResult parse, ApiClient api, CancellationToken ct)
    {
        var agents = await api.GetAgentsAsync(ct);
        if (parse.GetValue(GlobalOptions.Json))
        {
            Output.Json(agents.Json);
        }
        else
        {
            AgentsView.Write(Output.Human, agents.Value, DateTimeOffset.UtcNow);
        }

        return ExitCodes.Success;
    }
}
