using Spectre.Console;
using Supervisor.Cli.Api;

namespace Supervisor.Cli.Rendering;

/// <summary>Writes an API error readably: the title and status, the detail, then each invalid field with its messages.</summary>
static class ProblemView
{
    public static void Write(IAnsiConsole console, ApiException error)
    {
        var problem = error.Problem;
        var title = problem?.Title ?? error.Reason;
        console.MarkupLine($"[red]error:[/] {Markup.Escape(title)} [dim](HTTP {error.Status})[/]");

        if (problem?.Detail is { Length: > 0 } detail)
        {
            console.MarkupLine($"  {Markup.Escape(detail)}");
        }

        foreach (var (field, messages) in problem?.Errors ?? new Dictionary<string, string[]>(StringComparer.Ordinal))
        {
            foreach (var message in messages)
            {
                console.MarkupLine($"  [bold]{Markup.Escape(field)}[/]: {Markup.Escape(message)}");
            }
        }

        if (problem is null && error.Body is { Length: > 0 } body)
        {
            console.MarkupLine($"  [dim]{Markup.Escape(body)}[/]");
        }

        if (error.Status is 401 or 403)
        {
            console.MarkupLine("  [dim]check --token or SUPERVISOR_TOKEN[/]");
        }
    }
}
