using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Rules.Retries;
using Supervisor.Worker.Jobs;

namespace Supervisor.Tests.Rules.Retries;

public sealed class BackoffSpecs
{
    static readonly TimeSpan[] Intervals = [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(45)];
    static readonly TimeSpan[] RateLimitIntervals = [TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(300)];

    static RetrySchedule Schedule(double jitter = 0) => new(Intervals, RateLimitIntervals, TimeSpan.FromMinutes(10), jitter);

    /// <summary>A random source that always draws the same share, so the jitter is known.</summary>
    sealed class FixedRandom(double share) : Random
    {
        public override double NextDouble() => share;
    }

    static readonly Random NoJitter = new FixedRandom(0);

    [Theory]
    [InlineData(0, 60)]
    [InlineData(1, 120)]
    [InlineData(2, 300)]
    public void A_rate_limited_failure_is_retried_after_the_rate_limit_intervals(int used, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.NextDelay(Schedule(), ErrorClasses.RateLimited, retriesUsed: 0, used, null, NoJitter));

    [Theory]
    [InlineData(ErrorClasses.Retryable)]
    [InlineData(ErrorClasses.AgentFailure)]
    [InlineData(ErrorClasses.Timeout)]
    [InlineData(ErrorClasses.ContainerCrash)]
    public void Other_retried_failures_are_retried_after_the_ordinary_intervals(string errorClass)
    {
        var delays = Enumerable.Range(0, 3).Select(used => Backoff.NextDelay(Schedule(), errorClass, used, rateLimitRetriesUsed: 0, null, NoJitter));

        Assert.Equal(Intervals.Select(i => (TimeSpan?)i), delays);
    }

    [Theory]
    [InlineData(ErrorClasses.Fatal)]
    [InlineData(ErrorClasses.Invalid)]
    [InlineData(ErrorClasses.BudgetExceeded)]
    public void Fatal_Invalid_and_BudgetExceeded_failures_are_never_retried_on_the_same_agent(string errorClass) =>
        Assert.Null(Backoff.NextDelay(Schedule(), errorClass, 0, 0, TimeSpan.FromSeconds(1), NoJitter));

    [Theory]
    [InlineData(ErrorClasses.Retryable, 3, 0)]
    [InlineData(ErrorClasses.RateLimited, 0, 3)]
    public void A_used_up_budget_gives_the_task_up_so_it_falls_back(string errorClass, int retriesUsed, int rateLimitRetriesUsed) =>
        Assert.Null(Backoff.NextDelay(Schedule(), errorClass, retriesUsed, rateLimitRetriesUsed, null, NoJitter));

    [Fact]
    public void Rate_limits_and_other_failures_use_up_separate_budgets()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), Backoff.NextDelay(Schedule(), ErrorClasses.Retryable, 0, rateLimitRetriesUsed: 3, null, NoJitter));
        Assert.Equal(TimeSpan.FromSeconds(60), Backoff.NextDelay(Schedule(), ErrorClasses.RateLimited, retriesUsed: 3, 0, null, NoJitter));
    }

    [Fact]
    public void An_empty_schedule_never_retries() =>
        Assert.Null(Backoff.NextDelay(new RetrySchedule([], [], TimeSpan.FromMinutes(10), 0), ErrorClasses.Retryable, 0, 0, null, NoJitter));

    [Theory]
    [InlineData(0.0, 60.0)]
    [InlineData(0.5, 66.0)]
    [InlineData(0.999, 71.988)]
    public void Jitter_lengthens_a_delay_by_at_most_its_fraction(double draw, double seconds)
    {
        var delay = Backoff.NextDelay(Schedule(jitter: 0.2), ErrorClasses.RateLimited, 0, 0, null, new FixedRandom(draw));

        Assert.Equal(TimeSpan.FromSeconds(seconds), delay);
    }

    [Fact]
    public void Jittered_delays_stay_within_their_bounds_and_spread()
    {
        var random = new Random(13);

        var delays = Enumerable.Range(0, 1000).Select(_ => Backoff.NextDelay(Schedule(jitter: 0.2), ErrorClasses.Retryable, 1, 0, null, random)!.Value).ToList();

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(18)));
        Assert.True(delays.Distinct().Count() > 900, "the delays should not retry in step");
    }

    [Fact]
    public void A_retry_after_hint_longer_than_the_interval_is_honoured() =>
        Assert.Equal(TimeSpan.FromSeconds(90), Backoff.NextDelay(Schedule(), ErrorClasses.RateLimited, 0, 0, TimeSpan.FromSeconds(90), NoJitter));

    [Fact]
    public void A_retry_after_hint_shorter_than_the_interval_does_not_shorten_it() =>
        Assert.Equal(TimeSpan.FromSeconds(60), Backoff.NextDelay(Schedule(), ErrorClasses.RateLimited, 0, 0, TimeSpan.FromSeconds(2), NoJitter));

    [Fact]
    public void A_retry_after_hint_is_honoured_only_up_to_its_maximum() =>
        Assert.Equal(TimeSpan.FromMinutes(10), Backoff.NextDelay(Schedule(), ErrorClasses.RateLimited, 0, 0, TimeSpan.FromHours(5), NoJitter));

    [Fact]
    public void A_retry_after_hint_is_jittered_too() =>
        Assert.Equal(TimeSpan.FromSeconds(99), Backoff.NextDelay(Schedule(jitter: 0.2), ErrorClasses.Retryable, 0, 0, TimeSpan.FromSeconds(90), new FixedRandom(0.5)));

    [Fact]
    public void An_agent_without_intervals_of_its_own_retries_after_the_documented_defaults()
    {
        var retry = new RetryOptions { Jitter = 0 };

        TimeSpan? Delay(string errorClass, int used) =>
            RetryPolicy.NextDelay(retry, errorClass, new RetryPolicy.Counters(1, used, used), null, NoJitter);

        Assert.Equal([5, 15, 45], Enumerable.Range(0, 3).Select(used => Delay(ErrorClasses.Retryable, used)!.Value.TotalSeconds));
        Assert.Equal([60, 120, 300], Enumerable.Range(0, 3).Select(used => Delay(ErrorClasses.RateLimited, used)!.Value.TotalSeconds));
        Assert.Null(Delay(ErrorClasses.Retryable, 3));
    }
}
