using Supervisor.Contracts;
using Supervisor.Rules.Interpretation;
using Supervisor.Worker.Execution;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// What one attempt may still spend of its task's budget (<see cref="AgentAttempt.Budget"/>), held against what its agent
/// reports spending as it runs (<see cref="LiveUsage"/>). Once the output shows more spent than was left, the watch notes
/// why in the attempt's output and cancels <see cref="Exceeded"/>, which stops the agent (as <see cref="IdleWatch"/>'s
/// token does); the attempt then fails as <see cref="ErrorClasses.BudgetExceeded"/>, also when the agent had exited by
/// itself by then: what it spent is spent either way. Only for an attempt with a budget, of an agent whose output
/// reports usage (<see cref="For"/>): any other output passes by unread.
/// </summary>
public sealed class BudgetWatch : IDisposable
{
    readonly AttemptBudget _budget;
    readonly LiveUsage _usage;
    readonly Func<string, string, ValueTask> _output;
    readonly CancellationTokenSource _exceeded = new();
    readonly Lock _gate = new();
    string? _because;

    BudgetWatch(AttemptBudget budget, LiveUsage usage, Func<string, string, ValueTask> output)
    {
        _budget = budget;
        _usage = usage;
        _output = output;
    }

    /// <summary>The watch of an attempt; null without a budget, or when its agent's output reports no usage (nothing could be watched).</summary>
    /// <param name="budget">What the attempt may still spend, from the start check.</param>
    /// <param name="format">The agent's <c>OutputFormat</c>.</param>
    /// <param name="output">Where the watch's note goes (the attempt's output collector).</param>
    public static BudgetWatch? For(AttemptBudget? budget, string format, Func<string, string, ValueTask> output) =>
        BudgetOverrun.Bounds(budget) && LiveUsage.For(format) is { } usage ? new BudgetWatch(budget!, usage, output) : null;

    /// <summary>Cancelled once the agent has spent more than its budget left: the agent is to be stopped.</summary>
    public CancellationToken Exceeded => _exceeded.Token;

    /// <summary>Why the attempt is over its budget ("budget: the attempt used …"); null while it is not.</summary>
    public string? ExceededBecause
    {
        get
        {
            lock (_gate)
                return _because;
        }
    }

    /// <summary>What the agent's output reported spending so far; null when it reported nothing.</summary>
    public AttemptUsage? Seen
    {
        get
        {
            lock (_gate)
                return _usage.Usage;
        }
    }

    /// <summary>Reads a piece of the agent's output (fits <c>ProcessRunner.RunAsync</c>'s output callback, after the collector).</summary>
    public async ValueTask WriteAsync(string stream, string text)
    {
        string? because;
        lock (_gate)
        {
            // Usage keeps being read after an overrun: a closing total makes the attempt's recorded usage exact.
            if (!_usage.Write(stream, text) || _because is not null)
                return;
            because = _because = BudgetOverrun.Of(_budget, _usage.Tokens, _usage.CostUsd);
        }

        if (because is null)
            return;
        await _output(OutputCollector.SystemStream, $"[supervisor: {because}: ending the attempt]\n");
        // Cancelled off the output path: the token's callbacks kill the agent, whose output this very call is part of.
        _ = _exceeded.CancelAsync();
    }

    public void Dispose() => _exceeded.Dispose();
}
