using Supervisor.Rules.Limits;
using static Supervisor.Tests.Rules.Limits.Accounts;

namespace Supervisor.Tests.Rules.Limits;

/// <summary>
/// The start check when something is in the way: each obstacle (cool-down, block, another task's probe, a spent budget,
/// the cap reached by runs or by reservations) × onLimit × a next agent or none, with the wait inside its bounds and beyond
/// them; the maxWait and maxWindows boundaries; what a park records; and the messages.
/// </summary>
public sealed class LimitPlannerStartSpecs
{
    public enum InTheWay
    {
        Cooling,
        Blocked,
        Probing,
        Budget,
        Cap,
        Reserved,
    }

    /// <summary>A cap of 2 and a daily budget of $5.00 besides the shipped limits.</summary>
    static readonly AccountLimits Limits = Shipped with { MaxConcurrent = 2, DailyBudgetUsd = 5m };

    static AccountSnapshot Account(InTheWay obstacle) => obstacle switch
    {
        InTheWay.Cooling => Cooling(At("13:51:00")),
        InTheWay.Blocked => Blocked(At("14:05:00")),
        InTheWay.Probing => Probing(OtherTask),
        InTheWay.Budget => Ok() with { SpentToday = 5.20m },
        InTheWay.Cap => Ok(running: 2),
        _ => Ok(running: 1, reserved: 1),
    };

    static StartRequest Request(OnLimit onLimit, bool hasNext, TimeSpan? maxWait, int? maxWindows = null, TaskWait? waited = null) =>
        new(ThisTask, new TaskLimitPolicy(onLimit, maxWait, maxWindows), hasNext, waited);

    /// <summary>The wait fits (maxWait a day): a block or a budget falls back when asked to and able to, a cap always parks.</summary>
    [Theory]
    [InlineData(InTheWay.Cooling, OnLimit.Wait, true, StartAction.Park, WaitReason.Limit, "13:51:00")]
    [InlineData(InTheWay.Cooling, OnLimit.Wait, false, StartAction.Park, WaitReason.Limit, "13:51:00")]
    [InlineData(InTheWay.Cooling, OnLimit.Fallback, true, StartAction.FallBack, WaitReason.Limit, null)]
    [InlineData(InTheWay.Cooling, OnLimit.Fallback, false, StartAction.Park, WaitReason.Limit, "13:51:00")]
    [InlineData(InTheWay.Blocked, OnLimit.Wait, true, StartAction.Park, WaitReason.Limit, "14:05:00")]
    [InlineData(InTheWay.Blocked, OnLimit.Wait, false, StartAction.Park, WaitReason.Limit, "14:05:00")]
    [InlineData(InTheWay.Blocked, OnLimit.Fallback, true, StartAction.FallBack, WaitReason.Limit, null)]
    [InlineData(InTheWay.Blocked, OnLimit.Fallback, false, StartAction.Park, WaitReason.Limit, "14:05:00")]
    [InlineData(InTheWay.Probing, OnLimit.Wait, true, StartAction.Park, WaitReason.Limit, null)]
    [InlineData(InTheWay.Probing, OnLimit.Wait, false, StartAction.Park, WaitReason.Limit, null)]
    [InlineData(InTheWay.Probing, OnLimit.Fallback, true, StartAction.FallBack, WaitReason.Limit, null)]
    [InlineData(InTheWay.Probing, OnLimit.Fallback, false, StartAction.Park, WaitReason.Limit, null)]
    [InlineData(InTheWay.Budget, OnLimit.Wait, true, StartAction.Park, WaitReason.Budget, "1.00:00:00")]
    [InlineData(InTheWay.Budget, OnLimit.Wait, false, StartAction.Park, WaitReason.Budget, "1.00:00:00")]
    [InlineData(InTheWay.Budget, OnLimit.Fallback, true, StartAction.FallBack, WaitReason.Budget, null)]
    [InlineData(InTheWay.Budget, OnLimit.Fallback, false, StartAction.Park, WaitReason.Budget, "1.00:00:00")]
    [InlineData(InTheWay.Cap, OnLimit.Wait, true, StartAction.Park, WaitReason.Cap, null)]
    [InlineData(InTheWay.Cap, OnLimit.Wait, false, StartAction.Park, WaitReason.Cap, null)]
    [InlineData(InTheWay.Cap, OnLimit.Fallback, true, StartAction.Park, WaitReason.Cap, null)]
    [InlineData(InTheWay.Cap, OnLimit.Fallback, false, StartAction.Park, WaitReason.Cap, null)]
    [InlineData(InTheWay.Reserved, OnLimit.Wait, true, StartAction.Park, WaitReason.Cap, null)]
    [InlineData(InTheWay.Reserved, OnLimit.Wait, false, StartAction.Park, WaitReason.Cap, null)]
    [InlineData(InTheWay.Reserved, OnLimit.Fallback, true, StartAction.Park, WaitReason.Cap, null)]
    [InlineData(InTheWay.Reserved, OnLimit.Fallback, false, StartAction.Park, WaitReason.Cap, null)]
    public void Within_the_bounds_each_obstacle_parks_or_falls_back_by_onLimit_and_the_chain(
        InTheWay obstacle, OnLimit onLimit, bool hasNext, StartAction action, WaitReason reason, string? until)
    {
        var decision = LimitPlanner.DecideStart(Account(obstacle), Request(onLimit, hasNext, TimeSpan.FromDays(1)), Limits);

        Assert.Equal((action, reason), (decision.Action, decision.Reason));
        Assert.Equal(until is null ? null : At(until), decision.Until);
        Assert.Equal(action == StartAction.Park ? Now.AddDays(1) : null, decision.Deadline);
        Assert.StartsWith(Id + " ", decision.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("maxWait", decision.Message, StringComparison.Ordinal);
    }

    /// <summary>Beyond maxWait (15 min from 13:30, so 13:45): fall back when there is a next agent, fail when there is none.</summary>
    [Theory]
    [InlineData(InTheWay.Cooling, OnLimit.Wait, true, StartAction.FallBack, true)]
    [InlineData(InTheWay.Cooling, OnLimit.Wait, false, StartAction.Fail, true)]
    [InlineData(InTheWay.Cooling, OnLimit.Fallback, true, StartAction.FallBack, false)]
    [InlineData(InTheWay.Cooling, OnLimit.Fallback, false, StartAction.Fail, true)]
    [InlineData(InTheWay.Blocked, OnLimit.Wait, true, StartAction.FallBack, true)]
    [InlineData(InTheWay.Blocked, OnLimit.Wait, false, StartAction.Fail, true)]
    [InlineData(InTheWay.Blocked, OnLimit.Fallback, true, StartAction.FallBack, false)]
    [InlineData(InTheWay.Blocked, OnLimit.Fallback, false, StartAction.Fail, true)]
    [InlineData(InTheWay.Probing, OnLimit.Wait, true, StartAction.FallBack, true)]
    [InlineData(InTheWay.Probing, OnLimit.Wait, false, StartAction.Fail, true)]
    [InlineData(InTheWay.Probing, OnLimit.Fallback, true, StartAction.FallBack, false)]
    [InlineData(InTheWay.Probing, OnLimit.Fallback, false, StartAction.Fail, true)]
    [InlineData(InTheWay.Budget, OnLimit.Wait, true, StartAction.FallBack, true)]
    [InlineData(InTheWay.Budget, OnLimit.Wait, false, StartAction.Fail, true)]
    [InlineData(InTheWay.Budget, OnLimit.Fallback, true, StartAction.FallBack, false)]
    [InlineData(InTheWay.Budget, OnLimit.Fallback, false, StartAction.Fail, true)]
    [InlineData(InTheWay.Cap, OnLimit.Wait, true, StartAction.FallBack, true)]
    [InlineData(InTheWay.Cap, OnLimit.Wait, false, StartAction.Fail, true)]
    [InlineData(InTheWay.Cap, OnLimit.Fallback, true, StartAction.FallBack, true)]
    [InlineData(InTheWay.Cap, OnLimit.Fallback, false, StartAction.Fail, true)]
    [InlineData(InTheWay.Reserved, OnLimit.Wait, true, StartAction.FallBack, true)]
    [InlineData(InTheWay.Reserved, OnLimit.Wait, false, StartAction.Fail, true)]
    [InlineData(InTheWay.Reserved, OnLimit.Fallback, true, StartAction.FallBack, true)]
    [InlineData(InTheWay.Reserved, OnLimit.Fallback, false, StartAction.Fail, true)]
    public void Beyond_maxWait_each_obstacle_falls_back_or_fails_naming_the_bound(
        InTheWay obstacle, OnLimit onLimit, bool hasNext, StartAction action, bool namesTheBound)
    {
        var waited = new TaskWait(At("13:30:00"), 0, null);

        var decision = LimitPlanner.DecideStart(Account(obstacle), Request(onLimit, hasNext, TimeSpan.FromMinutes(15), waited: waited), Limits);

        Assert.Equal(action, decision.Action);
        Assert.Equal(namesTheBound, decision.Message!.Contains("; maxWait 15m from 13:30:00Z", StringComparison.Ordinal));
        Assert.Equal(action == StartAction.Fail, decision.Message.EndsWith("; no agent left to fall back to", StringComparison.Ordinal));
        Assert.Null(decision.Wait);
    }

    [Theory]
    [InlineData(InTheWay.Cooling)]
    [InlineData(InTheWay.Blocked)]
    [InlineData(InTheWay.Probing)]
    [InlineData(InTheWay.Budget)]
    [InlineData(InTheWay.Cap)]
    [InlineData(InTheWay.Reserved)]
    public void A_maxWait_of_zero_never_waits(InTheWay obstacle) =>
        Assert.Equal(StartAction.FallBack, LimitPlanner.DecideStart(Account(obstacle), Request(OnLimit.Wait, true, TimeSpan.Zero), Limits).Action);

    [Theory]
    [InlineData(InTheWay.Cooling)]
    [InlineData(InTheWay.Blocked)]
    [InlineData(InTheWay.Probing)]
    [InlineData(InTheWay.Budget)]
    [InlineData(InTheWay.Cap)]
    public void Without_bounds_a_task_waits_as_long_as_it_takes(InTheWay obstacle)
    {
        var waited = new TaskWait(Now.AddDays(-30), 12, At("09:00:00"));

        var decision = LimitPlanner.DecideStart(Account(obstacle), Request(OnLimit.Wait, false, null, waited: waited), Limits);

        Assert.Equal((StartAction.Park, (DateTime?)null), (decision.Action, decision.Deadline));
    }

    [Fact]
    public void A_first_park_records_the_wait_its_deadline_and_the_window()
    {
        var decision = LimitPlanner.DecideStart(Blocked(At("14:05:00")), Request(OnLimit.Wait, true, TimeSpan.FromMinutes(15)), Limits);

        Assert.Equal(
            StartDecision.Park(WaitReason.Limit, At("14:05:00"), At("14:05:00"), new TaskWait(Now, 1, WindowSince),
                "claude/3fa9c2d1e0b4 blocked until 14:05:00Z (usage window)"),
            decision);
    }

    [Fact]
    public void A_later_park_keeps_the_first_park_s_since_and_counts_its_window_once()
    {
        var waited = new TaskWait(At("13:30:00"), 1, WindowSince);

        var decision = LimitPlanner.DecideStart(Blocked(At("14:05:00")), Request(OnLimit.Wait, true, TimeSpan.FromHours(1), waited: waited), Limits);

        Assert.Equal((StartAction.Park, At("14:30:00"), waited), (decision.Action, decision.Deadline!.Value, decision.Wait));
    }

    [Theory]
    [InlineData("14:05:00", StartAction.Park)]
    [InlineData("14:05:01", StartAction.FallBack)]
    public void A_block_that_ends_at_the_deadline_is_waited_for_and_one_a_second_later_is_not(string until, StartAction action) =>
        Assert.Equal(action, LimitPlanner.DecideStart(Blocked(At(until)), Request(OnLimit.Wait, true, TimeSpan.FromMinutes(15)), Limits).Action);

    [Theory]
    [InlineData("13:35:01", StartAction.Park)]
    [InlineData("13:35:00", StartAction.FallBack)]
    public void A_wait_of_unknown_end_fits_until_its_deadline_is_reached(string since, StartAction action)
    {
        var request = Request(OnLimit.Wait, true, TimeSpan.FromMinutes(15), waited: new TaskWait(At(since), 0, null));

        Assert.Equal(action, LimitPlanner.DecideStart(Account(InTheWay.Cap), request, Limits).Action);
        Assert.Equal(action, LimitPlanner.DecideStart(Account(InTheWay.Probing), request, Limits).Action);
    }

    [Fact]
    public void The_message_says_which_bound_and_the_until()
    {
        var decision = LimitPlanner.DecideStart(Blocked(At("14:05:00")), Request(OnLimit.Wait, false, TimeSpan.FromMinutes(10)), Limits);

        Assert.Equal(
            StartDecision.Fail(WaitReason.Limit,
                "claude/3fa9c2d1e0b4 blocked until 14:05:00Z (usage window); maxWait 10m from 13:50:00Z ends before that; no agent left to fall back to"),
            decision);
    }

    [Fact]
    public void A_wait_of_unknown_end_past_its_deadline_says_when_it_ended()
    {
        var request = Request(OnLimit.Fallback, true, TimeSpan.FromMinutes(90), waited: new TaskWait(At("12:00:00"), 0, null));

        var decision = LimitPlanner.DecideStart(Account(InTheWay.Reserved), request, Limits);

        Assert.Equal(
            StartDecision.FallBack(WaitReason.Cap,
                "claude/3fa9c2d1e0b4 is at MaxConcurrent 2: 1 running, 1 reserved; maxWait 1h30m from 12:00:00Z ended at 13:30:00Z"),
            decision);
    }

    [Fact]
    public void Falling_back_by_onLimit_gives_the_obstacle_as_the_reason() =>
        Assert.Equal(
            StartDecision.FallBack(WaitReason.Limit, "claude/3fa9c2d1e0b4 cooling down until 13:51:00Z (rate limit)"),
            LimitPlanner.DecideStart(Account(InTheWay.Cooling), Request(OnLimit.Fallback, true, TimeSpan.FromDays(1)), Limits));

    [Fact]
    public void Another_task_s_probe_is_waited_for_without_an_until() =>
        Assert.Equal(
            StartDecision.Park(WaitReason.Limit, null, Now.AddMinutes(15), new TaskWait(Now, 0, null),
                "claude/3fa9c2d1e0b4 is probing after its usage window block; the probe's outcome decides"),
            LimitPlanner.DecideStart(Account(InTheWay.Probing), Request(OnLimit.Wait, true, TimeSpan.FromMinutes(15)), Limits));
}
