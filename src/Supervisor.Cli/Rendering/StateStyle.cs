using Supervisor.Contracts;

namespace Supervisor.Cli.Rendering;

/// <summary>How a task state is coloured everywhere in the CLI.</summary>
static class StateStyle
{
    public static string Colour(string state) => state switch
    {
        TaskStates.Succeeded => "green",
        TaskStates.Failed => "red",
        TaskStates.Running or TaskStates.RetryScheduled => "yellow",
        TaskStates.Cancelled or TaskStates.Rejected => "grey",
        TaskStates.AwaitingApproval => "aqua",
        TaskStates.Paused => "blue",
        _ => "default",
    };

    public static string Markup(string? state) =>
        state is null ? "" : $"[{Colour(state)}]{Spectre.Console.Markup.Escape(state)}[/]";

    public static bool IsTerminal(string state) => TaskStates.Terminal.Contains(state, StringComparer.Ordinal);
}
