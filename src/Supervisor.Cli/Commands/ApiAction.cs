using System.CommandLine;
using Spectre.Console;
using Supervisor.Cli.Api;
using Supervisor.Cli.Rendering;

namespace Supervisor.Cli.Commands;

/// <summary>Runs a command's body against the API and turns every kind of failure into one message and an exit code.</summary>
static class ApiAction
{
    public static void SetApiAction(this Command command, Func<ParseResult, ApiClient, CancellationToken, Task<int>> body) =>
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                using var api = new ApiClient(GlobalOptions.ApiFrom(parse), GlobalOptions.TokenFrom(parse), GlobalOptions.CaCertFrom(parse));
                return await body(parse, api, ct);
            }
            catch (Exception e) when (e is UsageException or TrustFileException)
            {
                Output.ErrorLine(e.Message);
                return ExitCodes.Usage;
            }
            catch (ApiException e)
            {
                ProblemView.Write(Output.Error, e);
                return ExitCodes.Failure;
            }
            catch (Exception e) when (e is TaskNotFoundException or ScheduleNotFoundException
                or ServiceUnreachableException or UnexpectedResponseException)
            {
                Output.ErrorLine(e.Message);
                return ExitCodes.Failure;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                Output.Error.MarkupLine("[dim]interrupted[/]");
                return ExitCodes.Interrupted;
            }
        });
}
