using Supervisor.Rules.Limits;

namespace Supervisor.Rules.Interpretation;

/// <summary>How one CLI's machine-readable output reads: its verdict on an attempt, and its own retries while it runs.</summary>
interface IOutputFormat
{
    string Name { get; }

    /// <summary>
    /// The attempt as the CLI's structured output tells it; null when the output says nothing usable. Reset times the CLI
    /// prints relative to its clock are read at <paramref name="at"/>.
    /// </summary>
    AgentReport? Interpret(ProcessOutcome outcome, string stdoutTail, string stderrTail, LimitContext at);

    /// <summary>
    /// A one-line description when <paramref name="line"/> (a whole line of <paramref name="stream"/>) is the CLI saying
    /// it retries a provider call on its own; null otherwise.
    /// </summary>
    string? RetryNotice(string stream, string line);

    /// <summary>The provider limit <paramref name="line"/> (a whole line of <paramref name="stream"/>) reports, read at <paramref name="at"/>; null when none.</summary>
    LimitSignal? Limit(string stream, string line, LimitContext at);
}
