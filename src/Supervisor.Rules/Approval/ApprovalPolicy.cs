namespace Supervisor.Rules.Approval;

/// <summary>Which tasks wait for a person's approval before their first attempt, by the risk level the task declares.</summary>
public static class ApprovalPolicy
{
    /// <summary>The levels that need approval when none are configured.</summary>
    public static IReadOnlyList<string> DefaultLevels { get; } = ["high"];

    /// <summary>
    /// The configured levels, or <see cref="DefaultLevels"/> when the list is empty. A list of <c>none</c> alone needs
    /// approval for nothing, since no task declares that level.
    /// </summary>
    public static IReadOnlyList<string> Effective(IReadOnlyList<string> requiredFor) => requiredFor.Count > 0 ? requiredFor : DefaultLevels;

    /// <summary>Whether a task of <paramref name="risk"/> waits for approval; a task that declares no risk never does.</summary>
    public static bool RequiresApproval(IReadOnlyList<string> requiredFor, string? risk) =>
        risk is not null && Effective(requiredFor).Contains(risk, StringComparer.OrdinalIgnoreCase);
}
