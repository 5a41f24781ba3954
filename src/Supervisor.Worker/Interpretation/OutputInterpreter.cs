using Supervisor.Worker.Execution;

namespace Supervisor.Worker.Interpretation;

/// <summary>
/// Reads an agent's output in the format its profile declares (<c>Supervisor:Agents:&lt;name&gt;:OutputFormat</c>).
/// <c>plain</c> output says nothing beyond its exit code and text, which the failure patterns read.
/// </summary>
public static class OutputInterpreter
{
    public const string Plain = "plain";

    public static readonly IReadOnlyList<string> Formats = [Plain];

    public static AgentReport? Interpret(string format, ProcessOutcome outcome, string stdoutTail, string stderrTail) => format switch
    {
        _ => null,
    };
}
