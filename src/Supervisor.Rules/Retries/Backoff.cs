using Supervisor.Contracts;

namespace Supervisor.Rules.Retries;

/// <summary>
/// An agent's retry budget as plain data: the delays before each redelivery of ordinary failures and of rate limits
/// (each list's length is its budget), the longest retry-after hint honoured, and the jitter fraction.
/// </summary>
public sealed record RetrySchedule(IReadOnlyList<TimeSpan> Intervals, IReadOnlyList<TimeSpan> RateLimitIntervals, TimeSpan MaxRetryAfter, double Jitter);

/// <summary>
/// Decides whether a failed attempt is redelivered to the same agent and after how long. Rate limits and other failures
/// have separate budgets; <c>Fatal</c>, <c>Invalid</c> and <c>BudgetExceeded</c> failures are never retried here (another
/// attempt would only spend more of a spent budget: the saga applies the task's <c>onBudget</c>). A budget used up means the
/// agent gives the task up (it falls back to the next agent of its chain).
/// </summary>
public static class Backoff
{
    /// <summary>
    /// The delay before the next attempt, or null when this agent should give the task up. <paramref name="retriesUsed"/>
    /// and <paramref name="rateLimitRetriesUsed"/> count the redeliveries this agent already had in this pass.
    /// </summary>
    public static TimeSpan? NextDelay(RetrySchedule schedule, string errorClass, int retriesUsed, int rateLimitRetriesUsed, TimeSpan? retryAfter,
        Random random)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(random);
        if (errorClass is ErrorClasses.Fatal or ErrorClasses.Invalid or ErrorClasses.BudgetExceeded)
            return null;

        var rateLimited = errorClass == ErrorClasses.RateLimited;
        var intervals = rateLimited ? schedule.RateLimitIntervals : schedule.Intervals;
        var used = rateLimited ? rateLimitRetriesUsed : retriesUsed;
        if (used >= intervals.Count)
            return null;

        var delay = intervals[used];
        if (retryAfter is { } hint && hint > delay)
            delay = hint < schedule.MaxRetryAfter ? hint : schedule.MaxRetryAfter;
        // Lengthened only, never shortened: a provider's retry-after is a lower bound.
        return delay + (delay * (schedule.Jitter * random.NextDouble()));
    }
}
