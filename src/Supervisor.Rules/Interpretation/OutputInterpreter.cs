using Supervisor.Rules.Limits;

namespace Supervisor.Rules.Interpretation;

/// <summary>
/// Reads an agent's output in the format its profile declares (<c>Supervisor:Agents:&lt;name&gt;:OutputFormat</c>).
/// <c>plain</c> output says nothing beyond its exit code and text, which the failure patterns read; the other formats
/// are the machine-readable output of the known CLIs, one class each.
/// </summary>
public static class OutputInterpreter
{
    public const string Plain = "plain";

    static readonly Dictionary<string, IOutputFormat> Known = new IOutputFormat[]
    {
        new ClaudeJson(), new CodexJsonl(), new GeminiJson(), new CopilotJsonl(),
    }.ToDictionary(f => f.Name, StringComparer.Ordinal);

    public static readonly IReadOnlyList<string> Formats = [Plain, .. Known.Keys];

    /// <summary>
    /// The attempt as the CLI's structured output tells it (null for <c>plain</c>, or when it says nothing usable). Reset
    /// times are read at <paramref name="at"/>, the machine's clock and zone when not given.
    /// </summary>
    public static AgentReport? Interpret(string format, ProcessOutcome outcome, string stdoutTail, string stderrTail, LimitContext? at = null) =>
        Known.TryGetValue(format, out var known) ? known.Interpret(outcome, stdoutTail, stderrTail, at ?? LimitContext.At(TimeProvider.System)) : null;

    /// <summary>
    /// The provider limit a failed attempt ended on: <see cref="AgentReport.Limit"/> for a known format, the generic
    /// reading of its output (<see cref="GenericLimits"/>) for <c>plain</c>; null for an attempt that exited 0.
    /// </summary>
    public static LimitSignal? FinalLimit(string format, ProcessOutcome outcome, string stdoutTail, string stderrTail, LimitContext at)
    {
        if (Known.TryGetValue(format, out var known))
            return known.Interpret(outcome, stdoutTail, stderrTail, at)?.Limit;
        return outcome.ExitCode is 0 || outcome.TimedOut ? null : GenericLimits.In(stdoutTail + "\n" + stderrTail, at);
    }

    /// <summary>
    /// When <paramref name="line"/> is the CLI retrying a provider call by itself, a one-line description of it: a sign
    /// that the attempt is alive though it produces no work yet (see <see cref="RetryWatch"/>).
    /// </summary>
    public static string? RetryNotice(string format, string stream, string line) =>
        Known.TryGetValue(format, out var known) ? known.RetryNotice(stream, line) : null;

    /// <summary>
    /// The provider limit <paramref name="line"/> (a whole line of <paramref name="stream"/>) reports, as soon as the
    /// agent prints it (a CLI's own retry notice included); for <c>plain</c>, the generic reading (<see cref="GenericLimits"/>).
    /// </summary>
    public static LimitSignal? Limit(string format, string stream, string line, LimitContext at) =>
        Known.TryGetValue(format, out var known) ? known.Limit(stream, line, at) : GenericLimits.InLine(line, at);
}
