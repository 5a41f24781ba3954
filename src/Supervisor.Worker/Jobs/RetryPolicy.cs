using System.Globalization;
using MassTransit;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Rules.Retries;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// The retry counters of a job, kept in headers that travel with the redelivered job. Rate limits and other failures
/// have separate budgets (<c>Retry:RateLimitIntervals</c>, <c>Retry:Intervals</c>); the decision itself is
/// <see cref="Backoff"/>'s.
/// </summary>
public static class RetryPolicy
{
    const string PassHeader = "Supervisor-Pass";
    const string RetriesHeader = "Supervisor-Retries";
    const string RateLimitRetriesHeader = "Supervisor-RateLimit-Retries";

    /// <summary>
    /// What this job has used up so far. Messages sent while consuming copy the consumed message's headers, so the job
    /// of the next agent arrives carrying the previous agent's counters: they count only when they belong to this pass.
    /// </summary>
    public sealed record Counters(int Pass, int Retries, int RateLimitRetries)
    {
        public static Counters From(ConsumeContext<Contracts.RunAgentJob> context) =>
            ReadCount(context, PassHeader) == context.Message.Pass
                ? new(context.Message.Pass, ReadCount(context, RetriesHeader), ReadCount(context, RateLimitRetriesHeader))
                : new(context.Message.Pass, 0, 0);

        /// <summary>Headers of the redelivery after a failure of <paramref name="errorClass"/>.</summary>
        public void ApplyNext(SendContext send, string errorClass)
        {
            var rateLimited = errorClass == ErrorClasses.RateLimited;
            Apply(send, this with { Retries = Retries + (rateLimited ? 0 : 1), RateLimitRetries = RateLimitRetries + (rateLimited ? 1 : 0) });
        }

        /// <summary>Headers of a job handed back by a stopping worker: no retry used.</summary>
        public void ApplyHandBack(SendContext send) => Apply(send, this);

        static void Apply(SendContext send, Counters counters)
        {
            send.Headers.Set(PassHeader, counters.Pass);
            send.Headers.Set(RetriesHeader, counters.Retries);
            send.Headers.Set(RateLimitRetriesHeader, counters.RateLimitRetries);
        }
    }

    /// <summary>A counter header; after a trip through the scheduler's store it may come back as a string or JSON number.</summary>
    static int ReadCount(ConsumeContext context, string header) =>
        context.Headers.TryGetHeader(header, out var value) && value is not null
        && int.TryParse(value.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count)
            ? count
            : 0;

    /// <summary>The delay before the next attempt, or null when this agent should give the task up (see <see cref="Backoff"/>).</summary>
    public static TimeSpan? NextDelay(RetryOptions retry, string errorClass, Counters counters, TimeSpan? retryAfter, Random random) =>
        Backoff.NextDelay(new RetrySchedule(retry.EffectiveIntervals, retry.EffectiveRateLimitIntervals, retry.MaxRetryAfter, retry.Jitter),
            errorClass, counters.Retries, counters.RateLimitRetries, retryAfter, random);

    /// <summary>A retry-after hint in the agent's output (HTTP header, JSON field or prose), if any.</summary>
    public static TimeSpan? RetryAfter(string text) => RetryAfterHint.In(text);
}
