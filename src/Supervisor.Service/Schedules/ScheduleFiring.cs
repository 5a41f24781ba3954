using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Contracts;
using Supervisor.Hosting;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Schedules;

/// <summary>What a manual trigger did: its fire's outcome, its task, and why it was skipped.</summary>
public sealed record TriggerOutcome(string Outcome, Guid TaskId, string? Reason);

/// <summary>
/// The one place that decides a schedule's fires (<see cref="FirePlanner"/>, under the schedule's row lock) and then
/// carries them out: a <c>SubmitTask</c> per fire that starts a task (its id derived from the fire, so a repeat makes no
/// second task), a <c>CancelTask</c> per task a <c>cancelOther</c> fire supersedes, and the wake-up for the next fire.
/// Called by the wake-up's consumer, the sweep and the API; any of them may repeat a call, on any service instance.
/// </summary>
/// <remarks>
/// The messages leave after the decision is committed. A service that stops in between leaves submitted fires whose
/// task never appears, and no wake-up armed: the sweep publishes such a fire's submit again, and evaluates a schedule
/// whose next fire is overdue (which arms it again).
/// </remarks>
public sealed partial class ScheduleFiring(IScheduleStore store, IBus bus, IOptions<ScheduleOptions> options, TimeProvider clock,
    ILogger<ScheduleFiring> logger)
{
    /// <summary>Decides what is due now (and the manual fire, if given); null when there is no such schedule.</summary>
    public async Task<TriggerOutcome?> EvaluateAsync(Guid scheduleId, ManualTrigger? manual, CancellationToken cancellationToken)
    {
        // A trigger retried with the same request id answers what its first try decided.
        if (manual is not null && await store.FindFireAsync(FireIds.ManualTaskId(scheduleId, manual.RequestId), cancellationToken) is { } earlier)
            return new TriggerOutcome(earlier.Outcome, earlier.TaskId, earlier.Reason);

        var now = Now();
        var decided = await store.DecideAsync<Decided>(scheduleId, locked => Decide(locked, now, manual), cancellationToken);
        if (decided is null)
            return null;

        await CarryOutAsync(decided, cancellationToken);
        return decided.Manual;
    }

    /// <summary>Pauses or resumes; a resumed schedule fires from now on (what fell due while paused is not caught up).</summary>
    public async Task<ScheduleRecord?> SetPausedAsync(Guid scheduleId, bool paused, string? by, string? reason, CancellationToken cancellationToken)
    {
        var now = Now();
        var decided = await store.DecideAsync(scheduleId, locked =>
        {
            var schedule = locked.Schedule;
            if (schedule.Paused == paused)
                return (ScheduleChanges.Only(schedule, schedule.EvaluatedUntil, schedule.NextFireAt, paused, schedule.PausedBy, schedule.PauseReason), schedule);
            var next = paused ? null : SpecOf(schedule).NextAfter(now);
            var changes = ScheduleChanges.Only(schedule, now, next, paused, paused ? by : null, paused ? reason : null);
            return (changes, schedule with { Paused = paused, PausedBy = changes.PausedBy, PauseReason = changes.PauseReason, NextFireAt = next, EvaluatedUntil = now });
        }, cancellationToken);
        if (decided is { Paused: false, NextFireAt: { } at })
            await ArmAsync(decided.Id, at, cancellationToken);
        return decided;
    }

    /// <summary>Publishes again the submit of a fire whose task never appeared (the service stopped before it left).</summary>
    public async Task ResubmitAsync(Guid scheduleId, StoredFire fire, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(scheduleId, cancellationToken) is not { } schedule)
            return;
        LogResubmitted(scheduleId, fire.TaskId, fire.OccurrenceAt);
        await PublishAsync(TaskTemplate.FromJson(schedule.Template).Submit(fire.TaskId, schedule.Id, schedule.Name, fire.OccurrenceAt), cancellationToken);
    }

    /// <summary>Arms the wake-up of a schedule for <paramref name="at"/>; arming the same time again stores nothing new.</summary>
    public async Task ArmAsync(Guid scheduleId, DateTime at, CancellationToken cancellationToken)
    {
        var scheduler = bus.CreateMessageScheduler(SupervisorHostExtensions.SchedulerQueue);
        var destination = new Uri($"queue:{ScheduleWakeConsumerDefinition.Queue}");
        await BrokerCalls.OnceAsync(token => scheduler.ScheduleSend(destination, at, ScheduleWake.For(scheduleId, at), token),
            BrokerCalls.DefaultTimeout, cancellationToken);
    }

    internal static ScheduleSpec SpecOf(ScheduleRecord schedule) =>
        ScheduleSpec.TryCreate(schedule.Cron, schedule.Every, schedule.TimeZone, schedule.StartAt, schedule.EndAt, out var spec, out var errors)
            ? spec
            : throw new InvalidOperationException($"schedule {schedule.Id} is stored with a definition that is not valid: "
                + string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")));

    (ScheduleChanges, Decided) Decide(LockedSchedule locked, DateTime now, ManualTrigger? manual)
    {
        var schedule = locked.Schedule;
        var spec = SpecOf(schedule);
        var settings = options.Value;
        var snapshot = new FireSnapshot
        {
            ScheduleId = schedule.Id,
            Overlap = SchedulePolicies.ParseOverlap(schedule.Overlap),
            CatchUpWindow = schedule.CatchUpWindow,
            CatchUp = SchedulePolicies.ParseCatchUp(schedule.CatchUp),
            Paused = schedule.Paused,
            EvaluatedUntil = schedule.EvaluatedUntil,
            LastFireAt = schedule.LastFireAt,
            Due = schedule.Paused || now <= schedule.EvaluatedUntil
                ? DueOccurrences.None
                : DueOccurrences.Of(spec, schedule.EvaluatedUntil, now, settings.OnTimeGrace, settings.MaxCatchUpFires),
            OpenTasks = locked.OpenTasks,
            Buffered = locked.Buffered is { } b ? new BufferedFire(b.OccurrenceAt, ParseKind(b.Kind), b.TaskId) : null,
            OnTimeGrace = settings.OnTimeGrace,
            MaxCatchUpFires = settings.MaxCatchUpFires,
        };
        var plan = FirePlanner.Plan(snapshot, now, manual);
        var next = schedule.Paused ? null : spec.NextAfter(plan.EvaluatedUntil);
        var changes = new ScheduleChanges(
            [.. plan.Fires.Select(f => new StoredFire(f.OccurrenceAt, Text(f.Kind), Text(f.Outcome), f.TaskId, f.Reason))],
            plan.Released?.TaskId,
            plan.Superseded is { } superseded ? (superseded.Fire.TaskId, superseded.Reason) : null,
            plan.EvaluatedUntil, plan.LastFireAt, next, plan.Counts.MissedCatchUpWindow, plan.Counts.Coalesced, plan.Counts.OverlapSkipped,
            schedule.Paused, schedule.PausedBy, schedule.PauseReason);

        var submits = plan.Fires.Where(f => f.Outcome == FireOutcome.Submitted).Select(f => (f.TaskId, f.OccurrenceAt)).ToList();
        if (plan.Released is { } released)
            submits.Insert(0, (released.TaskId, released.OccurrenceAt));
        var manualFire = manual is null ? null : plan.Fires.LastOrDefault(f => f.Kind == FireKind.Manual);
        return (changes, new Decided(schedule, TaskTemplate.FromJson(schedule.Template), submits, plan.Cancels, next,
            manualFire is null ? null : new TriggerOutcome(Text(manualFire.Outcome), manualFire.TaskId, manualFire.Reason)));
    }

    async Task CarryOutAsync(Decided decided, CancellationToken cancellationToken)
    {
        var schedule = decided.Schedule;
        foreach (var (taskId, occurrenceAt) in decided.Submits)
        {
            LogFired(schedule.Id, taskId, occurrenceAt);
            await PublishAsync(decided.Template.Submit(taskId, schedule.Id, schedule.Name, occurrenceAt), cancellationToken);
        }

        foreach (var cancel in decided.Cancels)
            await PublishAsync(new CancelTask(cancel.TaskId, $"schedule {schedule.Name ?? schedule.Id.ToString("D")}", cancel.Reason), cancellationToken);

        if (decided.Next is { } next)
            await ArmAsync(schedule.Id, next, cancellationToken);
    }

    Task PublishAsync<T>(T message, CancellationToken cancellationToken)
        where T : class =>
        BrokerCalls.OnceAsync(token => bus.Publish(message, token), BrokerCalls.DefaultTimeout, cancellationToken);

    DateTime Now() => ScheduleSpec.Microseconds(clock.GetUtcNow().UtcDateTime);

    static FireKind ParseKind(string kind) => kind switch
    {
        "catchUp" => FireKind.CatchUp,
        "manual" => FireKind.Manual,
        _ => FireKind.Scheduled,
    };

    internal static string Text(FireKind kind) => kind switch
    {
        FireKind.CatchUp => "catchUp",
        FireKind.Manual => "manual",
        _ => "scheduled",
    };

    internal static string Text(FireOutcome outcome) => outcome switch
    {
        FireOutcome.Buffered => "buffered",
        FireOutcome.Skipped => "skipped",
        _ => "submitted",
    };

    sealed record Decided(
        ScheduleRecord Schedule, TaskTemplate Template, IReadOnlyList<(Guid TaskId, DateTime OccurrenceAt)> Submits,
        IReadOnlyList<PlannedCancel> Cancels, DateTime? Next, TriggerOutcome? Manual);

    [LoggerMessage(LogLevel.Information, "Schedule {ScheduleId}: fire at {OccurrenceAt:O} submits task {TaskId}")]
    partial void LogFired(Guid scheduleId, Guid taskId, DateTime occurrenceAt);

    [LoggerMessage(LogLevel.Warning, "Schedule {ScheduleId}: the task {TaskId} of the fire at {OccurrenceAt:O} never appeared; its submit is published again")]
    partial void LogResubmitted(Guid scheduleId, Guid taskId, DateTime occurrenceAt);
}
