using Supervisor.Service.Schedules;

namespace Supervisor.Tests.Schedules;

/// <summary>
/// The decisions of one evaluation: each overlap policy with a task open or not and a fire buffered or not, the catch-up
/// window (each or latest, its boundary, the on-time grace, the cap), a paused schedule, and a manual trigger.
/// </summary>
public sealed class FirePlannerSpecs
{
    static readonly Guid ScheduleId = new("7d1f0c4e-2a3b-4c5d-8e9f-0a1b2c3d4e5f");

    static readonly DateTime Now = new(2025, 6, 2, 12, 0, 0, DateTimeKind.Utc);

    static readonly Guid Running = new("11111111-1111-1111-1111-111111111111");

    static readonly BufferedFire Waiting = new(Now.AddMinutes(-3), FireKind.Scheduled, FireIds.TaskId(ScheduleId, Now.AddMinutes(-3)));

    [Theory]
    [InlineData(OverlapPolicy.Skip)]
    [InlineData(OverlapPolicy.BufferOne)]
    [InlineData(OverlapPolicy.Allow)]
    [InlineData(OverlapPolicy.CancelOther)]
    public void With_nothing_open_every_policy_submits_the_fire(OverlapPolicy policy)
    {
        var plan = FirePlanner.Plan(Snapshot(policy, Ago(1)), Now);

        var fire = Assert.Single(plan.Fires);
        Assert.Equal(new PlannedFire(Ago(1), FireKind.Scheduled, FireOutcome.Submitted, FireIds.TaskId(ScheduleId, Ago(1)), null), fire);
        Assert.Empty(plan.Cancels);
        Assert.Equal(new FireCounts(0, 0, 0), plan.Counts);
        Assert.Equal(Now, plan.EvaluatedUntil);
        Assert.Equal(Ago(1), plan.LastFireAt);
    }

    /// <summary>The whole table of design §3 for one due fire: released and superseded are the snapshot's buffered fire.</summary>
    [Theory]
    [InlineData(OverlapPolicy.Skip, false, false, FireOutcome.Submitted, false, false, 0)]
    [InlineData(OverlapPolicy.Skip, false, true, FireOutcome.Skipped, true, false, 0)]
    [InlineData(OverlapPolicy.Skip, true, false, FireOutcome.Skipped, false, false, 0)]
    [InlineData(OverlapPolicy.Skip, true, true, FireOutcome.Skipped, false, false, 0)]
    [InlineData(OverlapPolicy.BufferOne, false, false, FireOutcome.Submitted, false, false, 0)]
    [InlineData(OverlapPolicy.BufferOne, false, true, FireOutcome.Buffered, true, false, 0)]
    [InlineData(OverlapPolicy.BufferOne, true, false, FireOutcome.Buffered, false, false, 0)]
    [InlineData(OverlapPolicy.BufferOne, true, true, FireOutcome.Skipped, false, false, 0)]
    [InlineData(OverlapPolicy.Allow, false, false, FireOutcome.Submitted, false, false, 0)]
    [InlineData(OverlapPolicy.Allow, false, true, FireOutcome.Submitted, true, false, 0)]
    [InlineData(OverlapPolicy.Allow, true, false, FireOutcome.Submitted, false, false, 0)]
    [InlineData(OverlapPolicy.Allow, true, true, FireOutcome.Submitted, false, false, 0)]
    [InlineData(OverlapPolicy.CancelOther, false, false, FireOutcome.Submitted, false, false, 0)]
    [InlineData(OverlapPolicy.CancelOther, false, true, FireOutcome.Submitted, false, true, 0)]
    [InlineData(OverlapPolicy.CancelOther, true, false, FireOutcome.Buffered, false, false, 1)]
    [InlineData(OverlapPolicy.CancelOther, true, true, FireOutcome.Buffered, false, true, 1)]
    public void Each_policy_with_a_task_open_or_not_and_a_fire_buffered_or_not(
        OverlapPolicy policy, bool open, bool buffered, FireOutcome outcome, bool released, bool superseded, int cancels)
    {
        var snapshot = Snapshot(policy, Ago(1)) with { OpenTasks = open ? [Running] : [], Buffered = buffered ? Waiting : null };

        var plan = FirePlanner.Plan(snapshot, Now);

        Assert.Equal(outcome, Assert.Single(plan.Fires).Outcome);
        Assert.Equal(released ? Waiting : null, plan.Released);
        Assert.Equal(superseded ? Waiting : null, plan.Superseded?.Fire);
        Assert.Equal(cancels, plan.Cancels.Count);
        Assert.Equal((outcome == FireOutcome.Skipped ? 1 : 0) + (superseded ? 1 : 0), plan.Counts.OverlapSkipped);
    }

    [Fact]
    public void Skip_with_a_task_open_skips_the_fire_naming_the_task()
    {
        var plan = FirePlanner.Plan(Snapshot(OverlapPolicy.Skip, Ago(1)) with { OpenTasks = [Running] }, Now);

        var fire = Assert.Single(plan.Fires);
        Assert.Equal(FireOutcome.Skipped, fire.Outcome);
        Assert.Equal($"task {Running} is still open", fire.Reason);
        Assert.Equal(1, plan.Counts.OverlapSkipped);
        Assert.Equal(Ago(1), plan.LastFireAt);
    }

    [Fact]
    public void BufferOne_with_a_task_open_and_a_fire_buffered_skips_the_fire()
    {
        var plan = FirePlanner.Plan(Snapshot(OverlapPolicy.BufferOne, Ago(1)) with { OpenTasks = [Running], Buffered = Waiting }, Now);

        var fire = Assert.Single(plan.Fires);
        Assert.Equal(FireOutcome.Skipped, fire.Outcome);
        Assert.Equal($"the fire at 2025-06-02T11:57:00Z is already waiting; task {Running} is still open", fire.Reason);
        Assert.Null(plan.Released);
        Assert.Null(plan.Superseded);
        Assert.Equal(1, plan.Counts.OverlapSkipped);
    }

    [Fact]
    public void CancelOther_with_a_task_open_cancels_it_and_buffers_the_fire()
    {
        var plan = FirePlanner.Plan(Snapshot(OverlapPolicy.CancelOther, Ago(1)) with { OpenTasks = [Running] }, Now);

        Assert.Equal(FireOutcome.Buffered, Assert.Single(plan.Fires).Outcome);
        Assert.Equal([new PlannedCancel(Running, "cancelOther: superseded by the fire at 2025-06-02T11:59:59Z")], plan.Cancels);
        Assert.Equal(0, plan.Counts.OverlapSkipped);
    }

    [Fact]
    public void CancelOther_with_a_task_open_and_a_fire_buffered_supersedes_the_buffered_fire()
    {
        var plan = FirePlanner.Plan(Snapshot(OverlapPolicy.CancelOther, Ago(1)) with { OpenTasks = [Running], Buffered = Waiting }, Now);

        Assert.Equal(FireOutcome.Buffered, Assert.Single(plan.Fires).Outcome);
        Assert.Equal(new SupersededFire(Waiting, "superseded by the fire at 2025-06-02T11:59:59Z"), plan.Superseded);
        Assert.Null(plan.Released);
        Assert.Equal(Running, Assert.Single(plan.Cancels).TaskId);
        Assert.Equal(1, plan.Counts.OverlapSkipped);
    }

    [Fact]
    public void CancelOther_cancels_each_open_task_once_however_many_fires_supersede_it()
    {
        var other = Guid.NewGuid();
        var snapshot = Snapshot(OverlapPolicy.CancelOther, Ago(30), Ago(20), Ago(10)) with { OpenTasks = [Running, other] };

        var plan = FirePlanner.Plan(snapshot, Now);

        Assert.Equal([Running, other], plan.Cancels.Select(c => c.TaskId));
        Assert.Equal([FireOutcome.Skipped, FireOutcome.Skipped, FireOutcome.Buffered], plan.Fires.Select(f => f.Outcome));
        Assert.Equal("superseded by the fire at 2025-06-02T11:59:40Z", plan.Fires[0].Reason);
        Assert.Equal(2, plan.Counts.OverlapSkipped);
    }

    [Fact]
    public void CancelOther_skips_fires_of_the_same_evaluation_instead_of_cancelling_their_tasks()
    {
        var plan = FirePlanner.Plan(Snapshot(OverlapPolicy.CancelOther, Ago(30), Ago(20), Ago(10)) with { Buffered = Waiting }, Now);

        Assert.Empty(plan.Cancels);
        Assert.Null(plan.Released);
        Assert.Equal(new SupersededFire(Waiting, "superseded by the fire at 2025-06-02T11:59:30Z"), plan.Superseded);
        Assert.Equal([FireOutcome.Skipped, FireOutcome.Skipped, FireOutcome.Submitted], plan.Fires.Select(f => f.Outcome));
        Assert.Equal(3, plan.Counts.OverlapSkipped);
    }

    [Theory]
    [InlineData(OverlapPolicy.BufferOne)]
    [InlineData(OverlapPolicy.CancelOther)]
    public void A_buffered_fire_starts_once_nothing_is_open(OverlapPolicy policy)
    {
        var plan = FirePlanner.Plan(Snapshot(policy) with { Buffered = Waiting, LastFireAt = Waiting.OccurrenceAt }, Now);

        Assert.Equal(Waiting, plan.Released);
        Assert.Empty(plan.Fires);
        Assert.Equal(Waiting.OccurrenceAt, plan.LastFireAt);
        Assert.Equal(Now, plan.EvaluatedUntil);
    }

    [Fact]
    public void A_buffered_fire_waits_while_a_task_is_open()
    {
        var plan = FirePlanner.Plan(Snapshot(OverlapPolicy.BufferOne) with { OpenTasks = [Running], Buffered = Waiting }, Now);

        Assert.Null(plan.Released);
        Assert.Empty(plan.Fires);
    }

    [Theory]
    [InlineData(OverlapPolicy.Skip, FireOutcome.Skipped)]
    [InlineData(OverlapPolicy.BufferOne, FireOutcome.Buffered)]
    public void The_released_fire_is_open_for_the_fires_after_it(OverlapPolicy policy, FireOutcome outcome)
    {
        var plan = FirePlanner.Plan(Snapshot(policy, Ago(1)) with { Buffered = Waiting }, Now);

        Assert.Equal(Waiting, plan.Released);
        var fire = Assert.Single(plan.Fires);
        Assert.Equal(outcome, fire.Outcome);
        if (outcome == FireOutcome.Skipped)
            Assert.Equal($"task {Waiting.TaskId} is still open", fire.Reason);
    }

    [Fact]
    public void A_fire_submitted_in_the_same_evaluation_is_open_for_the_next()
    {
        var plan = FirePlanner.Plan(Snapshot(OverlapPolicy.Skip, Ago(20), Ago(10)), Now);

        Assert.Equal([FireOutcome.Submitted, FireOutcome.Skipped], plan.Fires.Select(f => f.Outcome));
        Assert.Equal($"task {FireIds.TaskId(ScheduleId, Ago(20))} is still open", plan.Fires[1].Reason);
    }

    [Fact]
    public void Missed_fires_inside_the_window_are_caught_up_each_with_its_own_task()
    {
        var plan = FirePlanner.Plan(Snapshot(OverlapPolicy.Allow, Ago(50), Ago(40), Ago(30)), Now);

        Assert.Equal([Ago(50), Ago(40), Ago(30)], plan.Fires.Select(f => f.OccurrenceAt));
        Assert.All(plan.Fires, f => Assert.Equal((FireKind.CatchUp, FireOutcome.Submitted), (f.Kind, f.Outcome)));
        Assert.Equal([.. plan.Fires.Select(f => FireIds.TaskId(ScheduleId, f.OccurrenceAt))], plan.Fires.Select(f => f.TaskId));
        Assert.Equal(new FireCounts(0, 0, 0), plan.Counts);
    }

    [Fact]
    public void Each_catch_up_fire_is_subject_to_the_overlap_policy()
    {
        var plan = FirePlanner.Plan(Snapshot(OverlapPolicy.Skip, Ago(50), Ago(40), Ago(30)), Now);

        Assert.Equal([FireOutcome.Submitted, FireOutcome.Skipped, FireOutcome.Skipped], plan.Fires.Select(f => f.Outcome));
        Assert.Equal(2, plan.Counts.OverlapSkipped);
    }

    [Fact]
    public void Latest_makes_one_fire_of_the_missed_ones_and_counts_the_others_as_coalesced()
    {
        var plan = FirePlanner.Plan(Snapshot(OverlapPolicy.Allow, Ago(50), Ago(40), Ago(30)) with { CatchUp = CatchUpPolicy.Latest }, Now);

        var fire = Assert.Single(plan.Fires);
        Assert.Equal((Ago(30), FireKind.CatchUp, FireOutcome.Submitted), (fire.OccurrenceAt, fire.Kind, fire.Outcome));
        Assert.Equal(new FireCounts(0, 2, 0), plan.Counts);
    }

    [Fact]
    public void Latest_coalesces_the_missed_fires_into_an_on_time_one()
    {
        var plan = FirePlanner.Plan(Snapshot(OverlapPolicy.Allow, Ago(40), Ago(2)) with { CatchUp = CatchUpPolicy.Latest }, Now);

        var fire = Assert.Single(plan.Fires);
        Assert.Equal((Ago(2), FireKind.Scheduled), (fire.OccurrenceAt, fire.Kind));
        Assert.Equal(1, plan.Counts.Coalesced);
    }

    [Theory]
    [InlineData(CatchUpPolicy.Each)]
    [InlineData(CatchUpPolicy.Latest)]
    public void A_fire_exactly_the_window_old_is_caught_up_and_one_a_second_older_is_missed(CatchUpPolicy catchUp)
    {
        var window = TimeSpan.FromSeconds(8);
        var snapshot = Snapshot(OverlapPolicy.Allow, Now - window - TimeSpan.FromSeconds(1), Now - window) with
        {
            CatchUpWindow = window,
            CatchUp = catchUp,
        };

        var plan = FirePlanner.Plan(snapshot, Now);

        var fire = Assert.Single(plan.Fires);
        Assert.Equal((Now - window, FireKind.CatchUp, FireOutcome.Submitted), (fire.OccurrenceAt, fire.Kind, fire.Outcome));
        Assert.Equal(new FireCounts(1, 0, 0), plan.Counts);
    }

    [Fact]
    public void A_fire_within_the_grace_is_on_time_even_without_a_catch_up_window()
    {
        var snapshot = Snapshot(OverlapPolicy.Allow, Ago(6), Ago(5)) with { CatchUpWindow = TimeSpan.Zero };

        var plan = FirePlanner.Plan(snapshot, Now);

        var fire = Assert.Single(plan.Fires);
        Assert.Equal((Ago(5), FireKind.Scheduled), (fire.OccurrenceAt, fire.Kind));
        Assert.Equal(1, plan.Counts.MissedCatchUpWindow);
    }

    [Fact]
    public void Fires_older_than_the_window_are_counted_as_missed_and_not_run()
    {
        var snapshot = Snapshot(OverlapPolicy.Allow, Ago(300), Ago(120)) with { Due = new DueOccurrences([Ago(300), Ago(120)], 7) };

        var plan = FirePlanner.Plan(snapshot, Now);

        Assert.Empty(plan.Fires);
        Assert.Equal(new FireCounts(9, 0, 0), plan.Counts);
        Assert.Null(plan.LastFireAt);
        Assert.Equal(Now, plan.EvaluatedUntil);
    }

    [Fact]
    public void At_most_MaxCatchUpFires_missed_fires_are_caught_up_the_latest_ones_and_on_time_ones_besides()
    {
        // 150 missed fires every 10 s inside a window of an hour, and one on time.
        DateTime[] due = [.. Enumerable.Range(1, 150).Select(i => Ago(10 * i)).Reverse(), Now];
        var snapshot = Snapshot(OverlapPolicy.Allow, due) with { CatchUpWindow = TimeSpan.FromHours(1) };

        var plan = FirePlanner.Plan(snapshot, Now);

        Assert.Equal(101, plan.Fires.Count);
        Assert.Equal(Ago(1000), plan.Fires[0].OccurrenceAt);
        Assert.Equal(100, plan.Fires.Count(f => f.Kind == FireKind.CatchUp));
        Assert.Equal((Now, FireKind.Scheduled), (plan.Fires[^1].OccurrenceAt, plan.Fires[^1].Kind));
        Assert.Equal(50, plan.Counts.MissedCatchUpWindow);
    }

    [Fact]
    public void After_an_hour_down_an_every_second_schedule_fires_what_is_on_time_and_in_the_window_and_counts_the_rest()
    {
        Assert.True(ScheduleSpec.TryCreate(null, TimeSpan.FromSeconds(1), null, null, null, out var spec, out _));
        var due = DueOccurrences.Of(spec, Now.AddHours(-1), Now, TimeSpan.FromSeconds(5), 100);
        Assert.Equal(106, due.Listed.Count);
        Assert.Equal(3600 - 106, due.Earlier);

        var plan = FirePlanner.Plan(Snapshot(OverlapPolicy.Allow) with { EvaluatedUntil = Now.AddHours(-1), Due = due }, Now);

        Assert.Equal(6, plan.Fires.Count(f => f.Kind == FireKind.Scheduled));
        Assert.Equal(55, plan.Fires.Count(f => f.Kind == FireKind.CatchUp));
        Assert.Equal(3600 - 61, plan.Counts.MissedCatchUpWindow);
    }

    [Fact]
    public void Missed_fires_are_counted_up_to_a_cap_and_not_walked_through()
    {
        Assert.True(ScheduleSpec.TryCreate(null, TimeSpan.FromSeconds(1), null, null, null, out var spec, out _));

        var due = DueOccurrences.Of(spec, Now.AddDays(-30), Now, TimeSpan.FromSeconds(5), 100);

        Assert.Equal(Now, due.Listed[^1]);
        Assert.Equal(DueOccurrences.MaxCounted, due.Earlier);
        var none = DueOccurrences.Of(spec, Now, Now, TimeSpan.FromSeconds(5), 100);
        Assert.Empty(none.Listed);
        Assert.Equal(0, none.Earlier);
    }

    [Fact]
    public void A_paused_schedule_fires_nothing_starts_nothing_buffered_and_passes_its_due_fires_over()
    {
        var snapshot = Snapshot(OverlapPolicy.BufferOne, Ago(40), Ago(1)) with { Paused = true, Buffered = Waiting, LastFireAt = Ago(600) };

        var plan = FirePlanner.Plan(snapshot, Now);

        Assert.Empty(plan.Fires);
        Assert.Null(plan.Released);
        Assert.Equal(new FireCounts(0, 0, 0), plan.Counts);
        Assert.Equal(Now, plan.EvaluatedUntil);
        Assert.Equal(Ago(600), plan.LastFireAt);
    }

    [Fact]
    public void A_manual_trigger_fires_now_under_the_schedule_s_policy()
    {
        var request = Guid.NewGuid();

        var plan = FirePlanner.Plan(Snapshot(OverlapPolicy.Skip) with { OpenTasks = [Running] }, Now, new ManualTrigger(request));

        var fire = Assert.Single(plan.Fires);
        Assert.Equal((Now, FireKind.Manual, FireOutcome.Skipped), (fire.OccurrenceAt, fire.Kind, fire.Outcome));
        Assert.Equal(FireIds.ManualTaskId(ScheduleId, request), fire.TaskId);
        Assert.Equal(1, plan.Counts.OverlapSkipped);
    }

    [Fact]
    public void A_manual_trigger_may_override_the_policy_and_fires_while_paused()
    {
        var request = Guid.NewGuid();
        var snapshot = Snapshot(OverlapPolicy.Skip, Ago(1)) with { OpenTasks = [Running], Paused = true };

        var plan = FirePlanner.Plan(snapshot, Now, new ManualTrigger(request, OverlapPolicy.Allow));

        var fire = Assert.Single(plan.Fires);
        Assert.Equal((Now, FireKind.Manual, FireOutcome.Submitted), (fire.OccurrenceAt, fire.Kind, fire.Outcome));
        Assert.Equal(FireIds.ManualTaskId(ScheduleId, request), fire.TaskId);
        Assert.Equal(Now, plan.LastFireAt);
    }

    [Fact]
    public void A_manual_trigger_comes_after_the_due_fires_of_the_same_evaluation()
    {
        var plan = FirePlanner.Plan(Snapshot(OverlapPolicy.Skip, Ago(1)), Now, new ManualTrigger(Guid.NewGuid()));

        Assert.Equal([(FireKind.Scheduled, FireOutcome.Submitted), (FireKind.Manual, FireOutcome.Skipped)], plan.Fires.Select(f => (f.Kind, f.Outcome)));
    }

    [Fact]
    public void The_evaluated_time_never_moves_back()
    {
        var plan = FirePlanner.Plan(Snapshot(OverlapPolicy.Skip) with { EvaluatedUntil = Now.AddSeconds(2) }, Now);

        Assert.Equal(Now.AddSeconds(2), plan.EvaluatedUntil);
    }

    [Fact]
    public void Due_occurrences_outside_the_evaluated_range_are_a_programming_error()
    {
        Assert.Throws<ArgumentException>(() => FirePlanner.Plan(Snapshot(OverlapPolicy.Skip, Now.AddSeconds(1)), Now));
        Assert.Throws<ArgumentException>(() => FirePlanner.Plan(Snapshot(OverlapPolicy.Skip, Ago(1), Ago(2)), Now));
        Assert.Throws<ArgumentException>(() => FirePlanner.Plan(Snapshot(OverlapPolicy.Skip, Now.AddHours(-2)), Now));
    }

    static DateTime Ago(int seconds) => Now.AddSeconds(-seconds);

    static FireSnapshot Snapshot(OverlapPolicy overlap, params DateTime[] due) => new()
    {
        ScheduleId = ScheduleId,
        Overlap = overlap,
        CatchUpWindow = TimeSpan.FromMinutes(1),
        CatchUp = CatchUpPolicy.Each,
        Paused = false,
        EvaluatedUntil = Now.AddHours(-1),
        LastFireAt = null,
        Due = new DueOccurrences(due, 0),
        OpenTasks = [],
        Buffered = null,
        OnTimeGrace = TimeSpan.FromSeconds(5),
        MaxCatchUpFires = 100,
    };
}
