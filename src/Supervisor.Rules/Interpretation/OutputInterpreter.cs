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

    public static AgentReport? Interpret(string format, ProcessOutcome outcome, string stdoutTail, string stderrTail) =>
        Known.TryGetValue(format, out var known) ? known.Interpret(outcome, stdoutTail, stderrTail) : null;

    /// <summary>
    /// When <paramref name="line"/> is the CLI retrying a provider call by itself, a one-line description of it: a sign
    /// that the attempt is alive though it produces no work yet (see <see cref="RetryWatch"/>).
    /// </summary>
    public static string? RetryNotice(string format, string stream, string line) =>
        Known.TryGetValue(format, out var known) ? known.RetryNotice(stream, line) : null;
}
