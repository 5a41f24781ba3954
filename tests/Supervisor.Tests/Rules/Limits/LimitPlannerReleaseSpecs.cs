using Supervisor.Rules.Limits;
using static Supervisor.Tests.Rules.Limits.Accounts;

namespace Supervisor.Tests.Rules.Limits;

/// <summary>
/// The release step: a block in force or past its end (the probe: who, when, not under a full cap or a spent budget), a
/// probe pending, running, lost or ended, and the release of the waiters: FIFO, spread over ReleaseSpread, within the cap's
/// room, held by a spent budget; and when the account is looked at again.
/// </summary>
public sealed class LimitPlannerReleaseSpecs
{
    static readonly Guid A = new("0000000a-0000-0000-0000-000000000000");
    static readonly Guid B = new("0000000b-0000-0000-0000-000000000000");
    static readonly Guid C = new("0000000c-0000-0000-0000-000000000000");
    static readonly Guid D = new("0000000d-0000-0000-0000-000000000000");
    static readonly Guid E = new("0000000e-0000-0000-0000-000000000000");

    /// <summary>Five waiters, A the oldest, given out of order.</summary>
    static readonly AccountWaiter[] Waiters =
    [
        new(C, At("13:43:00")), new(A, At("13:41:00")), new(E, At("13:45:00")), new(B, At("13:42:00")), new(D, At("13:44:00")),
    ];

    static readonly AccountSnapshot Lapsed = Blocked(At("13:49:00"));

    [Theory]
    [InlineData(AccountState.Cooling)]
    [InlineData(AccountState.Blocked)]
    public void A_block_in_force_releases_nothing_and_wakes_at_its_end(AccountState state)
    {
        var account = state == AccountState.Cooling ? Cooling(At("13:51:00")) : Blocked(At("14:05:00"));

        var plan = LimitPlanner.PlanRelease(account, Waiters, Shipped, null);

        Assert.Equal((account.Status, 0, false, account.Status.BlockedUntil), (plan.Status, plan.Releases.Count, plan.EpisodeEnded, plan.NextWakeAt));
    }

    [Fact]
    public void A_block_in_force_releases_at_once_the_waiters_that_leave_on_a_block_and_keeps_the_others()
    {
        var account = Blocked(At("14:05:00"));
        AccountWaiter[] waiters = [new(A, At("13:41:00")), new(B, At("13:42:00"), LeavesOnBlock: true), new(C, At("13:43:00"), LeavesOnBlock: true)];

        var plan = LimitPlanner.PlanRelease(account, waiters, Shipped, null);

        Assert.Equal([new PlannedRelease(B, Now, Probe: false), new PlannedRelease(C, Now, Probe: false)], plan.Releases);
        Assert.Equal((account.Status, account.Status.BlockedUntil), (plan.Status, plan.NextWakeAt));
    }

    [Fact]
    public void At_a_block_s_end_the_oldest_waiter_is_released_alone_as_the_probe()
    {
        var plan = LimitPlanner.PlanRelease(Lapsed, Waiters, Shipped, null);

        Assert.Equal(Lapsed.Status with { State = AccountState.Probing, ProbeTask = A, ProbeSince = Now }, plan.Status);
        Assert.Equal([new PlannedRelease(A, Now, Probe: true)], plan.Releases);
        Assert.False(plan.EpisodeEnded);
        Assert.Equal(Now.AddMinutes(2), plan.NextWakeAt);
    }

    [Fact]
    public void Waiters_since_the_same_time_go_in_the_order_given()
    {
        var plan = LimitPlanner.PlanRelease(Lapsed, [new(B, At("13:41:00")), new(A, At("13:41:00"))], Shipped, null);

        Assert.Equal(B, plan.Status.ProbeTask);
    }

    [Fact]
    public void At_a_block_s_end_with_no_one_waiting_the_first_start_probes()
    {
        var plan = LimitPlanner.PlanRelease(Lapsed, [], Shipped, null);

        Assert.Equal(new ReleasePlan(Lapsed.Status with { State = AccountState.Probing }, plan.Releases, false, null), plan);
        Assert.Empty(plan.Releases);
    }

    [Fact]
    public void No_probe_is_released_while_runs_from_before_the_block_fill_the_cap()
    {
        var plan = LimitPlanner.PlanRelease(Lapsed with { Running = 2 }, Waiters, Shipped with { MaxConcurrent = 2 }, null);

        Assert.Equal((AccountState.Probing, (Guid?)null, 0, (DateTime?)null), (plan.Status.State, plan.Status.ProbeTask, plan.Releases.Count, plan.NextWakeAt));
    }

    [Fact]
    public void A_spent_budget_holds_the_probe_until_the_budget_renews()
    {
        var plan = LimitPlanner.PlanRelease(Lapsed with { SpentToday = 5m }, Waiters, Shipped with { DailyBudgetUsd = 5m }, null);

        Assert.Equal((AccountState.Probing, (Guid?)null, 0), (plan.Status.State, plan.Status.ProbeTask, plan.Releases.Count));
        Assert.Equal(At("1.00:00:00"), plan.NextWakeAt);
    }

    [Fact]
    public void A_pending_probe_is_awaited_for_the_hold()
    {
        var account = Probing(A, At("13:49:00"));

        var plan = LimitPlanner.PlanRelease(account, Waiters, Shipped, ProbeOutcome.Pending);

        Assert.Equal(new ReleasePlan(account.Status, plan.Releases, false, At("13:51:00")), plan);
        Assert.Empty(plan.Releases);
    }

    [Theory]
    [InlineData("13:48:00")]
    [InlineData("13:30:00")]
    public void A_probe_not_started_within_the_hold_is_lost_and_the_next_waiter_probes(string chosenAt)
    {
        var plan = LimitPlanner.PlanRelease(Probing(A, At(chosenAt)), Waiters, Shipped, ProbeOutcome.Pending);

        Assert.Equal((B, Now), (plan.Status.ProbeTask!.Value, plan.Status.ProbeSince!.Value));
        Assert.Equal([new PlannedRelease(B, Now, Probe: true)], plan.Releases);
        Assert.Equal(Now.AddMinutes(2), plan.NextWakeAt);
    }

    [Fact]
    public void A_lost_probe_makes_the_next_waiter_the_probe()
    {
        var plan = LimitPlanner.PlanRelease(Probing(A, At("13:49:30")), Waiters.Where(w => w.TaskId != A).ToList(), Shipped, ProbeOutcome.Lost);

        Assert.Equal([new PlannedRelease(B, Now, Probe: true)], plan.Releases);
        Assert.Equal(AccountState.Probing, plan.Status.State);
    }

    [Fact]
    public void A_lost_probe_with_no_one_else_waiting_leaves_the_probe_to_the_first_start()
    {
        var plan = LimitPlanner.PlanRelease(Probing(A, At("13:40:00")), [new(A, At("13:41:00"))], Shipped, ProbeOutcome.Pending);

        Assert.Equal(Probing().Status, plan.Status);
        Assert.Empty(plan.Releases);
        Assert.Null(plan.NextWakeAt);
    }

    [Fact]
    public void A_running_probe_is_awaited_until_its_end_calls_again()
    {
        var account = Probing(A, At("13:49:00")) with { Running = 1 };

        var plan = LimitPlanner.PlanRelease(account, Waiters, Shipped, ProbeOutcome.Running);

        Assert.Equal((account.Status, 0, (DateTime?)null), (plan.Status, plan.Releases.Count, plan.NextWakeAt));
    }

    [Fact]
    public void While_probing_without_a_probe_a_waiter_that_parked_meanwhile_becomes_the_probe() =>
        Assert.Equal([new PlannedRelease(A, Now, Probe: true)], LimitPlanner.PlanRelease(Probing(), Waiters, Shipped, null).Releases);

    [Fact]
    public void A_probe_that_ended_without_a_signal_ends_the_episode_and_releases_one_waiter_at_once()
    {
        var plan = LimitPlanner.PlanRelease(Probing(A, At("13:49:00")), [new(B, At("13:42:00"))], Shipped, ProbeOutcome.EndedWithoutSignal);

        Assert.Equal((AccountStatus.Ok, true, (DateTime?)null), (plan.Status, plan.EpisodeEnded, plan.NextWakeAt));
        Assert.Equal([new PlannedRelease(B, Now, Probe: false)], plan.Releases);
    }

    [Fact]
    public void Five_waiters_are_released_in_FIFO_order_spread_over_30_seconds()
    {
        var plan = LimitPlanner.PlanRelease(Probing(OtherTask, At("13:49:00")), Waiters, Shipped, ProbeOutcome.EndedWithoutSignal);

        Assert.Equal(
            [new(A, Now, false), new(B, Now.AddSeconds(6), false), new(C, Now.AddSeconds(12), false), new(D, Now.AddSeconds(18), false),
                new(E, Now.AddSeconds(24), false)],
            plan.Releases);
        Assert.Null(plan.NextWakeAt);
    }

    [Fact]
    public void A_spread_that_does_not_divide_evenly_is_exact_to_the_tick()
    {
        var plan = LimitPlanner.PlanRelease(Probing(OtherTask, At("13:49:00")), Waiters[..3], Shipped with { ReleaseSpread = TimeSpan.FromSeconds(10) },
            ProbeOutcome.EndedWithoutSignal);

        Assert.Equal([Now, Now.AddTicks(33_333_333), Now.AddTicks(66_666_666)], plan.Releases.Select(r => r.At));
    }

    [Fact]
    public void The_cap_limits_how_many_are_released_and_the_rest_are_looked_at_after_the_spread()
    {
        var plan = LimitPlanner.PlanRelease(Probing(OtherTask, At("13:49:00")), Waiters, Shipped with { MaxConcurrent = 2 }, ProbeOutcome.EndedWithoutSignal);

        Assert.Equal([new(A, Now, false), new(B, Now.AddSeconds(15), false)], plan.Releases);
        Assert.Equal(Now.AddSeconds(30), plan.NextWakeAt);
    }

    [Theory]
    [InlineData(0, 0, 4)]
    [InlineData(1, 1, 2)]
    [InlineData(3, 0, 1)]
    [InlineData(0, 4, 0)]
    [InlineData(5, 0, 0)]
    public void Runs_and_reservations_take_room_from_the_release(int running, int reserved, int released)
    {
        var account = Ok(running, reserved);

        var plan = LimitPlanner.PlanRelease(account, Waiters, Shipped with { MaxConcurrent = 4 }, null);

        Assert.Equal(Waiters.OrderBy(w => w.Since).Take(released).Select(w => w.TaskId), plan.Releases.Select(r => r.TaskId));
        Assert.Equal(released > 0 ? Now.AddSeconds(30) : null, plan.NextWakeAt);
        Assert.Equal((AccountStatus.Ok, false), (plan.Status, plan.EpisodeEnded));
    }

    [Fact]
    public void A_freed_slot_goes_to_the_oldest_cap_waiter_at_once()
    {
        var plan = LimitPlanner.PlanRelease(Ok(running: 1), [new(B, At("13:42:00"))], Shipped with { MaxConcurrent = 2 }, null);

        Assert.Equal(new ReleasePlan(AccountStatus.Ok, plan.Releases, false, null), plan);
        Assert.Equal([new PlannedRelease(B, Now, false)], plan.Releases);
    }

    [Fact]
    public void An_ok_account_with_no_one_waiting_has_nothing_to_do()
    {
        var plan = LimitPlanner.PlanRelease(Ok(), [], Shipped, null);

        Assert.Equal((AccountStatus.Ok, 0, false, (DateTime?)null), (plan.Status, plan.Releases.Count, plan.EpisodeEnded, plan.NextWakeAt));
    }

    [Fact]
    public void A_spent_budget_holds_the_releases_until_it_renews()
    {
        var limits = Shipped with { DailyBudgetUsd = 5m };

        var ok = LimitPlanner.PlanRelease(Ok() with { SpentToday = 5m }, Waiters, limits, null);
        var probed = LimitPlanner.PlanRelease(Probing(A, At("13:49:00")) with { SpentToday = 5m }, Waiters, limits, ProbeOutcome.EndedWithoutSignal);

        Assert.Equal((0, At("1.00:00:00")), (ok.Releases.Count, ok.NextWakeAt!.Value));
        Assert.Equal((AccountStatus.Ok, true, 0, At("1.00:00:00")), (probed.Status, probed.EpisodeEnded, probed.Releases.Count, probed.NextWakeAt!.Value));
    }

    [Fact]
    public void A_probe_outcome_is_given_exactly_when_a_probe_is_chosen()
    {
        Assert.Throws<ArgumentException>(() => LimitPlanner.PlanRelease(Probing(A, At("13:49:00")), Waiters, Shipped, null));
        Assert.Throws<ArgumentException>(() => LimitPlanner.PlanRelease(Probing(), Waiters, Shipped, ProbeOutcome.Running));
        Assert.Throws<ArgumentException>(() => LimitPlanner.PlanRelease(Ok(), Waiters, Shipped, ProbeOutcome.EndedWithoutSignal));
    }
}
