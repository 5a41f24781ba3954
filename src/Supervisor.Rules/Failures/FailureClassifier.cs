using System.Text.RegularExpressions;
using Supervisor.Contracts;

namespace Supervisor.Rules.Failures;

/// <summary>The failure class of an attempt (one of <see cref="ErrorClasses"/>) and the line of evidence behind it.</summary>
public sealed record Classification(string ErrorClass, string Message);

/// <summary>
/// Gives a failed attempt exactly one failure class. The agent's own <c>ErrorPatterns</c> are tried first, then the
/// shipped defaults (<c>Supervisor:DefaultErrorPatterns</c>, in agents.json); classes are tried in a fixed order so that, for example,
/// an exhausted quota (Fatal) wins over the 429 that carries it. Patterns match the text
/// <c>exit=&lt;code&gt;</c>, then stderr, then stdout. Both pattern sets map a failure class to regular expressions.
/// </summary>
public static class FailureClassifier
{
    static readonly string[] Order =
        [ErrorClasses.Invalid, ErrorClasses.Fatal, ErrorClasses.RateLimited, ErrorClasses.Retryable, ErrorClasses.ContainerCrash, ErrorClasses.AgentFailure];

    public static Classification Classify(IReadOnlyDictionary<string, List<string>> agentPatterns, IReadOnlyDictionary<string, List<string>> defaults,
        ProcessOutcome outcome, string stdoutTail, string stderrTail)
    {
        if (outcome.StartError is { } startError)
            return new(ErrorClasses.Fatal, startError);
        if (outcome.TimedOut)
            return new(ErrorClasses.Timeout, $"no result within {outcome.Duration.TotalSeconds:0}s; the process tree was killed");
        if (outcome.Crash is { } crash)
            return new(ErrorClasses.ContainerCrash, crash);

        var text = $"exit={outcome.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}\n{stderrTail}\n{stdoutTail}";
        foreach (var errorClass in Order)
        {
            foreach (var pattern in Patterns(agentPatterns, errorClass).Concat(Patterns(defaults, errorClass)))
            {
                var match = Regex.Match(text, pattern, RegexOptions.Multiline, TimeSpan.FromSeconds(1));
                if (match.Success)
                    return new(errorClass, LineAround(text, match.Index));
            }
        }

        if (outcome.Signal is { } signal)
            return new(ErrorClasses.ContainerCrash, $"killed by signal {signal}");
        var lastLine = LastLine(stderrTail) ?? LastLine(stdoutTail);
        return new(ErrorClasses.AgentFailure, $"exited with code {outcome.ExitCode}" + (lastLine is null ? "" : $": {lastLine}"));
    }

    static List<string> Patterns(IReadOnlyDictionary<string, List<string>> patterns, string errorClass) =>
        patterns.TryGetValue(errorClass, out var list) ? list : [];

    static string LineAround(string text, int index)
    {
        var start = text.LastIndexOf('\n', Math.Max(0, index - 1)) + 1;
        if (index == 0)
            start = 0;
        var end = text.IndexOf('\n', index);
        var line = text[start..(end < 0 ? text.Length : end)].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }

    static string? LastLine(string text)
    {
        var line = text.TrimEnd().Split('\n').LastOrDefault()?.Trim();
        return string.IsNullOrEmpty(line) ? null : line.Length > 300 ? line[..300] + "…" : line;
    }
}
