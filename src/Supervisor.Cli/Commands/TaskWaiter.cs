using Spectre.Console;
using Supervisor.Cli.Api;
using Supervisor.Cli.Rendering;
using Supervisor.Contracts;

namespace Supervisor.Cli.Commands;

/// <summary>
/// Polls <c>GET /api/tasks/{id}</c> until the task ends, printing each state change as it happens, e.g.
/// <c>12:00:01 Running (agent shell, attempt 1 on worker w1)</c>; a delayed task's first line says how long it waits,
/// <c>12:00:01 Submitted (waiting until 13:30:01)</c>.
/// </summary>
static class TaskWaiter
{
    static readonly TimeSpan FirstInterval = TimeSpan.FromMilliseconds(500);
    static readonly TimeSpan MaxInterval = TimeSpan.FromSeconds(2);

    // A delayed task can wait hours as Submitted: poll it less often until its start time, but often enough that a cancel
    // from elsewhere shows soon. The wait itself has no limit of its own, so a long delay never ends it.
    static readonly TimeSpan DelayedInterval = TimeSpan.FromSeconds(15);

    // The saga stores the task after the API accepted it, so a 404 just after submit means "not yet", not "never".
    static readonly TimeSpan NotFoundGrace = TimeSpan.FromSeconds(30);

    // A service restart during a long wait should not end the wait; a service gone for this long should.
    static readonly TimeSpan UnreachableGrace = TimeSpan.FromSeconds(60);

    /// <summary>The final task, or null if the user pressed Ctrl+C (the task keeps running).</summary>
    public static async Task<ApiResponse<TaskDetail>?> WaitAsync(ApiClient api, Guid id, IAnsiConsole progress, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var interval = FirstInterval;
        var seenTransitions = 0;
        string? lastState = null;
        DateTimeOffset? failingSince = null;

        try
        {
            while (true)
            {
                // Past the grace periods, errors propagate and end the wait with the API's own message.
                var now = DateTimeOffset.UtcNow;
                var tolerateNotFound = now - started < NotFoundGrace;
                var tolerateUnreachable = failingSince is null || now - failingSince < UnreachableGrace;
                var response = await TryGetAsync(api, id, tolerateNotFound, tolerateUnreachable, ct);
                if (response is null)
                {
                    failingSince ??= now;
                }
                else
                {
                    failingSince = null;
                    var task = response.Value;
                    var transitions = task.Transitions ?? [];
                    var changed = false;

                    // Print every transition since the last poll, so that a state passed through quickly still shows.
                    for (var i = seenTransitions; i < transitions.Count; i++)
                    {
                        var isLatest = i == transitions.Count - 1 && transitions[i].To == task.State;
                        Print(progress, transitions[i].At, transitions[i].To, task, isLatest);
                        lastState = transitions[i].To;
                        changed = true;
                    }

                    seenTransitions = transitions.Count;
                    if (task.State != lastState)
                    {
                        Print(progress, DateTimeOffset.UtcNow, task.State, task, isLatest: true);
                        lastState = task.State;
                        changed = true;
                    }

                    if (StateStyle.IsTerminal(task.State))
                    {
                        return response;
                    }

                    interval = NextInterval(interval, changed, task, DateTimeOffset.UtcNow);
                }

                await Task.Delay(failingSince is null ? interval : MaxInterval, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Output.Error.MarkupLine(
                $"[dim]stopped waiting; task {id} is still {Markup.Escape(lastState ?? "pending")} (supervisor cancel {id} to cancel it)[/]");
            return null;
        }
    }

    /// <summary>
    /// How long to sleep before the next poll: short after a change, backing off to <see cref="MaxInterval"/>; while a
    /// delayed task waits for its start time, up to <see cref="DelayedInterval"/> but never past the start time.
    /// </summary>
    internal static TimeSpan NextInterval(TimeSpan interval, bool changed, TaskDetail task, DateTimeOffset now)
    {
        var next = changed ? FirstInterval : Min(interval * 1.5, MaxInterval);
        return TaskView.StartsLater(task) is { } runAt && runAt - now > next ? Min(runAt - now, DelayedInterval) : next;
    }

    /// <summary>The task, or null for a failure tolerated for now.</summary>
    static async Task<ApiResponse<TaskDetail>?> TryGetAsync(
        ApiClient api, Guid id, bool tolerateNotFound, bool tolerateUnreachable, CancellationToken ct)
    {
        try
        {
            return await api.GetTaskAsync(id, ct);
        }
        catch (TaskNotFoundException) when (tolerateNotFound)
        {
            return null;
        }
        catch (Exception e) when (tolerateUnreachable && e is ServiceUnreachableException or ApiException { Status: >= 500 })
        {
            return null;
        }
    }

    static void Print(IAnsiConsole console, DateTimeOffset at, string state, TaskDetail task, bool isLatest)
    {
        var detail = Detail(state, task, at, isLatest, DateTimeOffset.UtcNow);
        var line = $"[dim]{Format.ShortTime(at)}[/] {StateStyle.Markup(state)}";
        console.MarkupLine(detail is null ? line : $"{line} ({Markup.Escape(detail)})");
    }

    /// <summary>
    /// What explains a state: the attempt that started (Running) or failed (RetryScheduled) closest to it in time, the
    /// account a parked task waits for (RetryScheduled, latest), the key a queued task waits for (Submitted, latest), or the
    /// start time a delayed task waits for. Task-level fields (current agent, start time) describe only the latest state.
    /// </summary>
    internal static string? Detail(string state, TaskDetail task, DateTimeOffset at, bool isLatest, DateTimeOffset now)
    {
        var attempts = task.Attempts ?? [];
        switch (state)
        {
            case TaskStates.Running:
                var running = attempts.Where(a => a.StartedAt is not null).MinBy(a => Distance(a.StartedAt!.Value, at));
                return running is null
                    ? isLatest && task.CurrentAgent is { } agent ? $"agent {agent}" : null
                    : $"agent {running.Agent}, attempt {running.Number}" + (running.Worker is { } worker ? $" on worker {worker}" : "");
            case TaskStates.RetryScheduled when isLatest && TaskView.Waiting(task) is { } waiting:
                return $"waiting {LimitView.Wait(waiting, now)}";
            case TaskStates.RetryScheduled:
                var failed = attempts.Where(a => a.ErrorClass is not null).MinBy(a => Distance(a.FinishedAt ?? a.StartedAt ?? at, at));
                if (failed is null)
                {
                    return null;
                }

                var why = $"{failed.ErrorClass}: {Format.OneLine(failed.Message, 80)}";
                return failed.NextRetryAt is { } next ? $"{why}, next try {Format.ShortTime(next)}" : why;
            case TaskStates.Dispatched when isLatest:
                return task.CurrentAgent is { } current ? $"agent {current}" : null;
            case TaskStates.Submitted when isLatest && TaskView.Waiting(task) is { OnKey: true } queued:
                return $"waiting {LimitView.Wait(queued, now)}";
            case TaskStates.Submitted when isLatest && TaskView.StartsLater(task) is { } runAt && runAt > now:
                return $"waiting until {Format.Moment(runAt, now)}";
            case TaskStates.AwaitingApproval:
                return $"supervisor approve {task.Id}";
            default:
                return null;
        }
    }

    static TimeSpan Distance(DateTimeOffset a, DateTimeOffset b) => (a - b).Duration();

    static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
