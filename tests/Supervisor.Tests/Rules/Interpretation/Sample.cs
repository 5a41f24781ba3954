using System.Globalization;
using Supervisor.Rules;
using Supervisor.Rules.Interpretation;
using Supervisor.Rules.Limits;

namespace Supervisor.Tests.Rules.Interpretation;

/// <summary>
/// Output a real CLI produced against the provider stub (Samples/capture.sh): its stdout, stderr and exit code, read
/// through the interpreter of the CLI's shipped profile.
/// </summary>
sealed record Sample(string Stdout, string Stderr, int ExitCode)
{
    public static Sample Load(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Rules", "Interpretation", "Samples", name);
        return new Sample(File.ReadAllText(path + ".stdout"), File.ReadAllText(path + ".stderr"),
            int.Parse(File.ReadAllText(path + ".exit").Trim(), CultureInfo.InvariantCulture));
    }

    public ProcessOutcome Outcome(bool timedOut = false) =>
        new(timedOut ? null : ExitCode, timedOut, false, timedOut ? 9 : null, null, TimeSpan.FromSeconds(3));

    public AgentReport? Interpret(string format, bool timedOut = false, LimitContext? at = null) =>
        OutputInterpreter.Interpret(format, Outcome(timedOut), Stdout, Stderr, at);

    /// <summary>The limit signals a <see cref="RetryWatch"/> raises while the output arrives in small pieces, read on <paramref name="time"/>.</summary>
    public async Task<List<LimitSignal>> LiveLimitsAsync(string format, TimeProvider time)
    {
        var limits = new List<LimitSignal>();
        var passedOn = new List<(string Stream, string Text)>();
        var watch = new RetryWatch(format, (stream, text) =>
        {
            passedOn.Add((stream, text));
            return ValueTask.CompletedTask;
        }, time: time);
        watch.LimitSeen += limits.Add;
        foreach (var (stream, text) in new[] { ("stdout", Stdout), ("stderr", Stderr) })
        {
            for (var i = 0; i < text.Length; i += 700)
                await watch.WriteAsync(stream, text.Substring(i, Math.Min(700, text.Length - i)));
        }

        // The output itself passes through unchanged.
        Assert.Equal(Stdout, string.Concat(passedOn.Where(p => p.Stream == "stdout").Select(p => p.Text)));
        Assert.Equal(Stderr, string.Concat(passedOn.Where(p => p.Stream == "stderr").Select(p => p.Text)));
        return limits;
    }

    /// <summary>Notices of the CLI's own retries, fed through a <see cref="RetryWatch"/> in small pieces as a live process would.</summary>
    public async Task<List<string>> RetryNoticesAsync(string format)
    {
        var system = new List<string>();
        var watch = new RetryWatch(format, (stream, text) =>
        {
            if (stream == RetryWatch.SystemStream)
                system.Add(text);
            return ValueTask.CompletedTask;
        });
        foreach (var (stream, text) in new[] { ("stdout", Stdout), ("stderr", Stderr) })
        {
            for (var i = 0; i < text.Length; i += 700)
                await watch.WriteAsync(stream, text.Substring(i, Math.Min(700, text.Length - i)));
        }

        Assert.Equal(system.Count, watch.Retries);
        return system;
    }
}
