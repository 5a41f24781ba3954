using Supervisor.Rules.Limits;
using static Supervisor.Tests.Rules.Limits.Accounts;

namespace Supervisor.Tests.Rules.Limits;

/// <summary>
/// The start check when nothing is in the way: an ordinary grant (room under the cap, reservations counted, no cap at all)
/// and the probe (the first start after a block's end, the chosen probe, a probe still bound by the cap and the budget).
/// </summary>
public sealed class LimitPlannerStartGrantsAndProbesSpecs
{
    static readonly StartRequest Request = new(ThisTask, new TaskLimitPolicy(OnLimit.Wait, TimeSpan.FromMinutes(15), null), true, null);

    [Fact]
    public void An_ok_account_grants_the_start()
    {
        Assert.Same(StartDecision.Grant, LimitPlanner.DecideStart(Ok(), Request, Shipped));
        Assert.Same(StartDecision.Grant, LimitPlanner.DecideStart(Ok(), Request with { Waited = new TaskWait(At("13:00:00"), 2, WindowSince) }, Shipped));
    }

    [Theory]
    [InlineData(0, 0, StartAction.Grant)]
    [InlineData(1, 0, StartAction.Grant)]
    [InlineData(0, 1, StartAction.Grant)]
    [InlineData(2, 0, StartAction.Park)]
    [InlineData(1, 1, StartAction.Park)]
    [InlineData(0, 2, StartAction.Park)]
    [InlineData(3, 0, StartAction.Park)]
    public void Runs_and_reservations_together_fill_the_cap(int running, int reserved, StartAction action) =>
        Assert.Equal(action, LimitPlanner.DecideStart(Ok(running, reserved), Request, Shipped with { MaxConcurrent = 2 }).Action);

    [Fact]
    public void Without_a_cap_any_number_run() =>
        Assert.Same(StartDecision.Grant, LimitPlanner.DecideStart(Ok(running: 500, reserved: 20), Request, Shipped));

    [Theory]
    [InlineData(AccountState.Blocked, "13:49:59")]
    [InlineData(AccountState.Blocked, "13:50:00")]
    [InlineData(AccountState.Cooling, "13:50:00")]
    public void The_first_start_after_a_block_s_end_is_the_probe(AccountState state, string until)
    {
        var account = Blocked(At(until)) with { Status = Blocked(At(until)).Status with { State = state } };

        var decision = LimitPlanner.DecideStart(account, Request, Shipped);

        Assert.Equal(StartDecision.Probe(account.Status with { State = AccountState.Probing, ProbeTask = ThisTask, ProbeSince = Now }), decision);
    }

    [Fact]
    public void While_probing_with_no_probe_chosen_the_first_start_is_the_probe()
    {
        var decision = LimitPlanner.DecideStart(Probing(), Request, Shipped);

        Assert.Equal(StartAction.GrantAsProbe, decision.Action);
        Assert.Equal(Probing().Status with { ProbeTask = ThisTask, ProbeSince = Now }, decision.Account);
    }

    [Fact]
    public void The_chosen_probe_starts_as_the_probe_and_the_account_stays_as_it_is()
    {
        var account = Probing(ThisTask, At("13:49:30"));

        var decision = LimitPlanner.DecideStart(account, Request, Shipped);

        Assert.Equal(StartAction.GrantAsProbe, decision.Action);
        Assert.Same(account.Status, decision.Account);
    }

    [Fact]
    public void Any_other_start_while_probing_waits_for_the_probe() =>
        Assert.Equal((StartAction.Park, WaitReason.Limit), Decide(Probing(OtherTask, At("13:49:30")), Shipped));

    [Fact]
    public void The_probe_still_needs_a_slot_under_the_cap() =>
        Assert.Equal((StartAction.Park, WaitReason.Cap), Decide(Blocked(At("13:49:00")) with { Running = 1 }, Shipped with { MaxConcurrent = 1 }));

    [Fact]
    public void No_probe_starts_on_a_spent_budget()
    {
        // The budget renews tomorrow, beyond the request's maxWait of 15 minutes: the task falls back.
        var limits = Shipped with { DailyBudgetUsd = 1m };

        Assert.Equal((StartAction.FallBack, WaitReason.Budget), Decide(Blocked(At("13:49:00")) with { SpentToday = 1m }, limits));
        Assert.Equal((StartAction.FallBack, WaitReason.Budget), Decide(Probing(ThisTask) with { SpentToday = 1m }, limits));
    }

    [Fact]
    public void A_wait_so_far_that_is_not_UTC_is_a_programming_error() =>
        Assert.Throws<ArgumentException>(() => LimitPlanner.DecideStart(
            Ok(), Request with { Waited = new TaskWait(DateTime.SpecifyKind(Now, DateTimeKind.Local), 0, null) }, Shipped));

    static (StartAction, WaitReason?) Decide(AccountSnapshot account, AccountLimits limits)
    {
        var decision = LimitPlanner.DecideStart(account, Request, limits);
        return (decision.Action, decision.Reason);
    }
}
