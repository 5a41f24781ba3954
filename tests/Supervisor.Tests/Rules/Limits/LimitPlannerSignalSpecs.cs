using Supervisor.Rules.Limits;
using static Supervisor.Tests.Rules.Limits.Accounts;

namespace Supervisor.Tests.Rules.Limits;

/// <summary>
/// What a limit signal does to an account's block: the reset on the service's clock (relative, re-based, absolute, none),
/// the MinBlock/MaxBlock clamps, the state by kind, and episodes: a block in force is extended and never shortened, a lapsed
/// or probing account begins a new one.
/// </summary>
public sealed class LimitPlannerSignalSpecs
{
    /// <summary>A worker whose clock is 3 h 50 min behind the service's.</summary>
    static readonly DateTime WorkerNow = Now.AddMinutes(-230);

    static LimitSignal Signal(LimitKind kind, DateTime? resetAt = null, TimeSpan? resetIn = null) => new(kind, resetAt, resetIn, null, "evidence");

    [Theory]
    [InlineData(LimitKind.RateLimit, AccountState.Cooling)]
    [InlineData(LimitKind.UsageWindow, AccountState.Blocked)]
    [InlineData(LimitKind.Quota, AccountState.Blocked)]
    [InlineData(LimitKind.Billing, AccountState.Blocked)]
    public void A_signal_on_an_ok_account_begins_an_episode_a_rate_limit_cooling_it_and_the_others_blocking_it(LimitKind kind, AccountState state)
    {
        var outcome = LimitPlanner.OnSignal(Ok(), Signal(kind, resetIn: TimeSpan.FromMinutes(10)), WorkerNow, Shipped);

        Assert.Equal(SignalEffect.NewEpisode, outcome.Effect);
        Assert.Equal(new AccountStatus(state, kind, At("14:00:00"), Now, null, null), outcome.Status);
    }

    [Fact]
    public void A_relative_reset_counts_from_the_service_clock_whatever_the_worker_s_clock_says()
    {
        var outcome = LimitPlanner.OnSignal(Ok(), Signal(LimitKind.RateLimit, resetIn: TimeSpan.FromSeconds(20)), WorkerNow, Shipped);

        Assert.Equal(Now.AddSeconds(20), outcome.Status.BlockedUntil);
    }

    [Fact]
    public void A_reset_the_worker_computed_from_a_delay_is_moved_onto_the_service_clock()
    {
        // The worker saw "retry after 20 s" 5 s before it sent the signal: 15 s are left, on any clock.
        var seen = WorkerNow.AddSeconds(-5);
        var signal = Signal(LimitKind.RateLimit, resetAt: seen.AddSeconds(20), resetIn: TimeSpan.FromSeconds(20));

        var outcome = LimitPlanner.OnSignal(Ok(), signal, WorkerNow, Shipped);

        Assert.Equal(Now.AddSeconds(15), outcome.Status.BlockedUntil);
    }

    [Fact]
    public void A_provider_s_absolute_reset_is_taken_as_given()
    {
        var outcome = LimitPlanner.OnSignal(Ok(), Signal(LimitKind.UsageWindow, resetAt: At("14:05:00")), WorkerNow, Shipped);

        Assert.Equal(At("14:05:00"), outcome.Status.BlockedUntil);
    }

    [Fact]
    public void A_reset_read_without_a_kind_is_taken_as_UTC()
    {
        var unspecified = DateTime.SpecifyKind(At("14:05:00"), DateTimeKind.Unspecified);

        var outcome = LimitPlanner.OnSignal(Ok(), Signal(LimitKind.UsageWindow, resetAt: unspecified), WorkerNow, Shipped);

        Assert.Equal((At("14:05:00"), DateTimeKind.Utc), (outcome.Status.BlockedUntil!.Value, outcome.Status.BlockedUntil!.Value.Kind));
    }

    [Theory]
    [InlineData(LimitKind.RateLimit, 60)]
    [InlineData(LimitKind.UsageWindow, 3600)]
    [InlineData(LimitKind.Quota, 3600)]
    [InlineData(LimitKind.Billing, 3600)]
    public void A_signal_without_a_reset_blocks_for_its_kind_s_default(LimitKind kind, int seconds)
    {
        var outcome = LimitPlanner.OnSignal(Ok(), Signal(kind), WorkerNow, Shipped);

        Assert.Equal(Now.AddSeconds(seconds), outcome.Status.BlockedUntil);
    }

    [Fact]
    public void The_default_blocks_are_configurable_per_kind()
    {
        var limits = Shipped with { DefaultBlock = BlockDefaults.Shipped with { Quota = TimeSpan.FromMinutes(5) } };

        var outcome = LimitPlanner.OnSignal(Ok(), Signal(LimitKind.Quota), WorkerNow, limits);

        Assert.Equal(Now.AddMinutes(5), outcome.Status.BlockedUntil);
    }

    [Theory]
    [InlineData(-3600, 1)]
    [InlineData(0, 1)]
    [InlineData(0.001, 1)]
    [InlineData(1, 1)]
    [InlineData(1.5, 1.5)]
    [InlineData(21600, 21600)]
    [InlineData(21601, 21600)]
    [InlineData(864000, 21600)]
    public void The_until_is_clamped_between_MinBlock_and_MaxBlock_from_now(double resetInSeconds, double blockedSeconds)
    {
        var signal = Signal(LimitKind.UsageWindow, resetAt: Now.AddSeconds(resetInSeconds));

        var outcome = LimitPlanner.OnSignal(Ok(), signal, WorkerNow, Shipped);

        Assert.Equal(Now.AddSeconds(blockedSeconds), outcome.Status.BlockedUntil);
    }

    [Fact]
    public void A_default_block_longer_than_MaxBlock_is_clamped_too()
    {
        var outcome = LimitPlanner.OnSignal(Ok(), Signal(LimitKind.RateLimit), WorkerNow, Shipped with { MaxBlock = TimeSpan.FromSeconds(2) });

        Assert.Equal(Now.AddSeconds(2), outcome.Status.BlockedUntil);
    }

    [Fact]
    public void A_later_until_extends_the_block_in_force_within_its_episode()
    {
        var outcome = LimitPlanner.OnSignal(Blocked(At("14:05:00")), Signal(LimitKind.UsageWindow, resetAt: At("14:30:00")), WorkerNow, Shipped);

        Assert.Equal(SignalEffect.Extended, outcome.Effect);
        Assert.Equal(new AccountStatus(AccountState.Blocked, LimitKind.UsageWindow, At("14:30:00"), WindowSince, null, null), outcome.Status);
    }

    [Theory]
    [InlineData("14:00:00")]
    [InlineData("14:05:00")]
    public void An_earlier_or_equal_until_never_shortens_the_block(string reset)
    {
        var blocked = Blocked(At("14:05:00"));

        var outcome = LimitPlanner.OnSignal(blocked, Signal(LimitKind.UsageWindow, resetAt: At(reset)), WorkerNow, Shipped);

        Assert.Equal(SignalEffect.Unchanged, outcome.Effect);
        Assert.Same(blocked.Status, outcome.Status);
    }

    [Fact]
    public void A_rate_limit_inside_a_longer_block_leaves_the_block_as_it_is()
    {
        var blocked = Blocked(At("15:00:00"));

        var outcome = LimitPlanner.OnSignal(blocked, Signal(LimitKind.RateLimit, resetIn: TimeSpan.FromSeconds(60)), WorkerNow, Shipped);

        Assert.Equal((SignalEffect.Unchanged, AccountState.Blocked, LimitKind.UsageWindow), (outcome.Effect, outcome.Status.State, outcome.Status.Kind));
    }

    [Theory]
    [InlineData(LimitKind.RateLimit)]
    [InlineData(LimitKind.UsageWindow)]
    public void A_signal_without_a_reset_during_a_block_in_force_leaves_it_as_it_is(LimitKind kind)
    {
        // claude's final "Request rejected (429)" after the retry notice that named the reset: its default block would guess past it.
        var blocked = Blocked(Now.AddSeconds(2));

        var outcome = LimitPlanner.OnSignal(blocked, Signal(kind), WorkerNow, Shipped);

        Assert.Equal(SignalEffect.Unchanged, outcome.Effect);
        Assert.Same(blocked.Status, outcome.Status);
    }

    [Fact]
    public void A_usage_window_that_ends_after_a_cool_down_turns_it_into_a_block_of_the_same_episode()
    {
        var cooling = Cooling(Now.AddSeconds(30));

        var outcome = LimitPlanner.OnSignal(cooling, Signal(LimitKind.UsageWindow, resetAt: At("15:00:00")), WorkerNow, Shipped);

        Assert.Equal(SignalEffect.Extended, outcome.Effect);
        Assert.Equal(
            new AccountStatus(AccountState.Blocked, LimitKind.UsageWindow, At("15:00:00"), cooling.Status.BlockSince, null, null), outcome.Status);
    }

    [Theory]
    [InlineData("13:45:00")]
    [InlineData("13:50:00")]
    public void A_signal_after_the_block_lapsed_begins_a_new_episode(string until)
    {
        var outcome = LimitPlanner.OnSignal(Blocked(At(until)), Signal(LimitKind.UsageWindow, resetAt: At("14:30:00")), WorkerNow, Shipped);

        Assert.Equal(SignalEffect.NewEpisode, outcome.Effect);
        Assert.Equal(new AccountStatus(AccountState.Blocked, LimitKind.UsageWindow, At("14:30:00"), Now, null, null), outcome.Status);
    }

    [Theory]
    [InlineData(LimitKind.RateLimit, AccountState.Cooling)]
    [InlineData(LimitKind.UsageWindow, AccountState.Blocked)]
    public void A_signal_while_probing_blocks_again_as_a_new_episode_without_the_probe(LimitKind kind, AccountState state)
    {
        var outcome = LimitPlanner.OnSignal(Probing(ThisTask), Signal(kind, resetIn: TimeSpan.FromMinutes(5)), WorkerNow, Shipped);

        Assert.Equal(SignalEffect.NewEpisode, outcome.Effect);
        Assert.Equal(new AccountStatus(state, kind, Now.AddMinutes(5), Now, null, null), outcome.Status);
    }

    [Fact]
    public void Times_that_are_not_UTC_and_impossible_accounts_are_programming_errors()
    {
        var signal = Signal(LimitKind.RateLimit);

        Assert.Throws<ArgumentException>(() => LimitPlanner.OnSignal(Ok(), signal, DateTime.SpecifyKind(WorkerNow, DateTimeKind.Local), Shipped));
        Assert.Throws<ArgumentException>(() => LimitPlanner.OnSignal(Ok() with { Now = DateTime.SpecifyKind(Now, DateTimeKind.Unspecified) }, signal, WorkerNow, Shipped));
        Assert.Throws<ArgumentException>(() => LimitPlanner.OnSignal(Ok() with { Running = -1 }, signal, WorkerNow, Shipped));
        Assert.Throws<ArgumentException>(() => LimitPlanner.OnSignal(
            Ok() with { Status = AccountStatus.Ok with { State = AccountState.Blocked } }, signal, WorkerNow, Shipped));
        Assert.Throws<ArgumentException>(() => LimitPlanner.OnSignal(
            Ok() with { Status = AccountStatus.Ok with { BlockedUntil = Now } }, signal, WorkerNow, Shipped));
        Assert.Throws<ArgumentException>(() => LimitPlanner.OnSignal(
            Blocked(Now) with { Status = Blocked(Now).Status with { ProbeTask = ThisTask, ProbeSince = Now } }, signal, WorkerNow, Shipped));
        Assert.Throws<ArgumentException>(() => LimitPlanner.OnSignal(
            Probing() with { Status = Probing().Status with { ProbeTask = ThisTask } }, signal, WorkerNow, Shipped));
    }
}
