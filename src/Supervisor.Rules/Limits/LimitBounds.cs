namespace Supervisor.Rules.Limits;

/// <summary>The ranges a task's and an agent's limit policy must lie in, wherever they are given (API, CLI, message, configuration).</summary>
public static class LimitBounds
{
    /// <summary>The longest <c>maxWait</c>: beyond a week a task should be resubmitted, not parked.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromDays(7);

    /// <summary>The most blocks a task may wait through (<c>maxWindows</c>).</summary>
    public const int MaxWindows = 100;

    /// <summary>The largest daily or monthly budget of an account, in dollars.</summary>
    public const decimal MaxAccountBudgetUsd = 1_000_000m;
}
