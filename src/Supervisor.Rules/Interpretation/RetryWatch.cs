using System.Text;
using Supervisor.Rules.Limits;

namespace Supervisor.Rules.Interpretation;

/// <summary>
/// Sits between an agent process and its output collector and recognises the CLI's own provider retries ("api_retry",
/// "Reconnecting... 2/5", "Attempt 1 failed with status 429. Retrying"). Each one is written into the attempt's record as
/// a <c>system</c> line, counted, and reported to <see cref="SignOfLife"/>: the attempt is alive and waiting on its
/// provider, not producing noise. Output passes through unchanged. Past <paramref name="giveUpAfter"/> retries (when
/// positive) it throws <see cref="OwnRetriesExhaustedException"/>, which makes the process runner kill the agent.
/// Each line that reports a provider limit (a retry of a 429 included) is raised as <see cref="LimitSeen"/>, read at the
/// time it arrives on <paramref name="time"/> (the system clock when not given).
/// </summary>
public sealed class RetryWatch(string format, Func<string, string, ValueTask> output, int giveUpAfter = 0, TimeProvider? time = null)
{
    /// <summary>The stream of the supervisor's own notes in an attempt's output (the output collector's <c>system</c> stream).</summary>
    public const string SystemStream = "system";

    readonly Dictionary<string, StringBuilder> _unfinishedLines = new(StringComparer.Ordinal);
    readonly Lock _gate = new();
    int _announced;

    /// <summary>Raised for each retry the CLI announces (a hook for heartbeats).</summary>
    public event Action<string>? SignOfLife;

    /// <summary>Raised for each line that reports a provider limit, as soon as the agent prints it.</summary>
    public event Action<LimitSignal>? LimitSeen;

    /// <summary>Provider retries the CLI announced so far.</summary>
    public int Retries => Volatile.Read(ref _announced);

    /// <summary>Fits <c>ProcessRunner.RunAsync</c>'s output callback.</summary>
    public async ValueTask WriteAsync(string stream, string text)
    {
        await output(stream, text);
        var (notices, limits) = Read(stream, text);
        foreach (var limit in limits)
            LimitSeen?.Invoke(limit);
        foreach (var notice in notices)
        {
            var retries = Interlocked.Increment(ref _announced);
            SignOfLife?.Invoke(notice);
            await output(SystemStream, $"[supervisor: {notice}]\n");
            if (giveUpAfter > 0 && retries > giveUpAfter)
            {
                await output(SystemStream, $"[supervisor: {retries} retries of its own, more than the profile's GiveUpAfterOwnRetries ({giveUpAfter}): ending the attempt]\n");
                throw new OwnRetriesExhaustedException(retries);
            }
        }
    }

    (List<string> Notices, List<LimitSignal> Limits) Read(string stream, string text)
    {
        var notices = new List<string>();
        var limits = new List<LimitSignal>();
        lock (_gate)
        {
            if (!_unfinishedLines.TryGetValue(stream, out var partial))
                _unfinishedLines[stream] = partial = new StringBuilder();
            partial.Append(text);
            var all = partial.ToString();
            var end = all.LastIndexOf('\n');
            if (end < 0)
            {
                // A line without end yet; a runaway one is not a retry notice.
                if (partial.Length > 64 * 1024)
                    partial.Clear();
                return (notices, limits);
            }

            partial.Clear().Append(all, end + 1, all.Length - end - 1);
            var at = LimitContext.At(time ?? TimeProvider.System);
            foreach (var line in all[..end].Split('\n'))
            {
                if (OutputInterpreter.RetryNotice(format, stream, line) is { } notice)
                    notices.Add(notice);
                if (OutputInterpreter.Limit(format, stream, line, at) is { } limit)
                    limits.Add(limit);
            }
        }

        return (notices, limits);
    }
}

/// <summary>The agent retried its provider more often than its profile allows; the attempt is ended.</summary>
public sealed class OwnRetriesExhaustedException(int retries) : Exception($"the agent retried its provider {retries} times by itself")
{
    public int Retries { get; } = retries;
}
