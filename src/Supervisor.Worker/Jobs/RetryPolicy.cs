using System.Globalization;
using System.Text.RegularExpressions;
using MassTransit;
using Supervisor.Agents;
using Supervisor.Contracts;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// Decides whether a failed attempt is redelivered to the same agent and after how long. Rate limits and other
/// failures have separate budgets (<c>Retry:RateLimitIntervals</c>, <c>Retry:Intervals</c>), counted in headers that
/// travel with the redelivered job. Fatal and Invalid failures are never retried here.
/// </summary>
public static partial class RetryPolicy
{
    const string PassHeader = "Supervisor-Pass";
    const string RetriesHeader = "Supervisor-Retries";
    const string RateLimitRetriesHeader = "Supervisor-RateLimit-Retries";
    const string HandBacksHeader = "Supervisor-HandBacks";

    /// <summary>
    /// What this job has used up so far. Messages sent while consuming copy the consumed message's headers, so the job
    /// of the next agent arrives carrying the previous agent's counters: they count only when they belong to this pass.
    /// </summary>
    public sealed record Counters(int Pass, int Retries, int RateLimitRetries, int HandBacks)
    {
        public static Counters From(ConsumeContext<Contracts.RunAgentJob> context) =>
            ReadCount(context, PassHeader) == context.Message.Pass
                ? new(context.Message.Pass, ReadCount(context, RetriesHeader), ReadCount(context, RateLimitRetriesHeader), ReadCount(context, HandBacksHeader))
                : new(context.Message.Pass, 0, 0, 0);

        /// <summary>Headers of the redelivery after a failure of <paramref name="errorClass"/>.</summary>
        public void ApplyNext(SendContext send, string errorClass)
        {
            var rateLimited = errorClass == ErrorClasses.RateLimited;
            Apply(send, this with { Retries = Retries + (rateLimited ? 0 : 1), RateLimitRetries = RateLimitRetries + (rateLimited ? 1 : 0) });
        }

        /// <summary>Headers of a job handed back by a stopping worker: no retry used, but the attempt number moves on.</summary>
        public void ApplyHandBack(SendContext send) => Apply(send, this with { HandBacks = HandBacks + 1 });

        static void Apply(SendContext send, Counters counters)
        {
            send.Headers.Set(PassHeader, counters.Pass);
            send.Headers.Set(RetriesHeader, counters.Retries);
            send.Headers.Set(RateLimitRetriesHeader, counters.RateLimitRetries);
            send.Headers.Set(HandBacksHeader, counters.HandBacks);
        }
    }

    /// <summary>A counter header; after a trip through the scheduler's store it may come back as a string or JSON number.</summary>
    static int ReadCount(ConsumeContext context, string header) =>
        context.Headers.TryGetHeader(header, out var value) && value is not null
        && int.TryParse(value.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count)
            ? count
            : 0;

    /// <summary>The delay before the next attempt, or null when this agent should give the task up.</summary>
    public static TimeSpan? NextDelay(RetryOptions retry, string errorClass, Counters counters, TimeSpan? retryAfter, Random random)
    {
        if (errorClass is ErrorClasses.Fatal or ErrorClasses.Invalid)
            return null;

        var rateLimited = errorClass == ErrorClasses.RateLimited;
        var intervals = rateLimited ? retry.EffectiveRateLimitIntervals : retry.EffectiveIntervals;
        var used = rateLimited ? counters.RateLimitRetries : counters.Retries;
        if (used >= intervals.Count)
            return null;

        var delay = intervals[used];
        if (retryAfter is { } hint && hint > delay)
            delay = hint < retry.MaxRetryAfter ? hint : retry.MaxRetryAfter;
        return delay + (delay * (retry.Jitter * random.NextDouble()));
    }

    /// <summary>A retry-after hint in the agent's output (HTTP header, JSON field or prose), if any.</summary>
    public static TimeSpan? RetryAfter(string text)
    {
        TimeSpan? longest = null;
        foreach (Match match in RetryAfterPattern().Matches(text))
        {
            if (!double.TryParse(match.Groups["n"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                continue;
            var unit = match.Groups["unit"].Value.ToLowerInvariant();
            var hint = unit.StartsWith("ms", StringComparison.Ordinal) ? TimeSpan.FromMilliseconds(value)
                : unit.StartsWith('m') ? TimeSpan.FromMinutes(value)
                : TimeSpan.FromSeconds(value);
            if (longest is null || hint > longest)
                longest = hint;
        }

        return longest;
    }

    [GeneratedRegex(@"(?:retry[-_ ]?after|retryDelay|try again in|retry in)[""']?\s*[:=]?\s*[""']?(?<n>\d+(?:\.\d+)?)\s*(?<unit>ms|milliseconds?|s|sec|seconds?|m|min|minutes?)?\b",
        RegexOptions.IgnoreCase)]
    private static partial Regex RetryAfterPattern();
}
