namespace Supervisor.Rules.Interpretation;

/// <summary>How one CLI's machine-readable output reads: its verdict on an attempt, and its own retries while it runs.</summary>
interface IOutputFormat
{
    string Name { get; }

    /// <summary>The attempt as the CLI's structured output tells it; null when the output says nothing usable.</summary>
    AgentReport? Interpret(ProcessOutcome outcome, string stdoutTail, string stderrTail);

    /// <summary>
    /// A one-line description when <paramref name="line"/> (a whole line of <paramref name="stream"/>) is the CLI saying
    /// it retries a provider call on its own; null otherwise.
    /// </summary>
    string? RetryNotice(string stream, string line);
}
