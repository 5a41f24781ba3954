using MassTransit;
using Supervisor.Contracts;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Tasks;

/// <summary>What a task's concurrency key says about its start.</summary>
public enum KeyVerdict
{
    /// <summary>No key, or room under its limit: the task starts.</summary>
    Go,

    /// <summary>The key is full: the task waits in Submitted until the release step finds it room.</summary>
    Queue,

    /// <summary>The key is full and the task is the newest: it is dropped (Cancelled).</summary>
    Drop,
}

/// <summary>
/// Concurrency keys: a task with a <see cref="TaskState.ConcurrencyKey"/> starts (leaves Submitted) only while fewer than its
/// limit of the key's tasks are under way, decided under the key's row lock in the task's transaction; over it, its
/// strategy queues it, cancels the oldest under way and queues it behind, or drops it. The release step (Limits/AccountRelease)
/// sends <see cref="KeyReleased"/> to a queued task when its key has room.
/// </summary>
public sealed partial class TaskStateMachine
{
    /// <summary>The hold reason of a task queued on its key.</summary>
    public const string ConcurrencyHold = "concurrency";

    void DuringKeys(Func<EventActivityBinder<TaskState, KeyReleased>, EventActivityBinder<TaskState, KeyReleased>> start)
    {
        During(Submitted,
            When(KeyReleased, c => c.Saga.HoldReason == ConcurrencyHold)
                .Then(c => c.Saga.ClearHold())
                .Apply(start));
        DuringAny(Ignore(KeyReleased));
    }

    /// <summary>Decides the task's start on its key (<see cref="TaskState.KeyVerdict"/>), and acts on a full key as its strategy says.</summary>
    async Task ClaimKeyAsync<T>(BehaviorContext<TaskState, T> context)
        where T : class
    {
        var task = context.Saga;
        task.KeyVerdict = KeyVerdict.Go;
        if (task.ConcurrencyKey is not { } key)
            return;
        if (!context.TryGetPayload<IKeyBook>(out var book))
            throw new InvalidOperationException("Concurrency keys need the saga's key book (a payload of the saga repository's transaction).");

        var now = Now();
        var limit = task.ConcurrencyLimit ?? 1;
        var occupancy = await book.LockAsync(key, task.CorrelationId, task.CreatedAt, now, context.CancellationToken);
        if (occupancy.UnderWay.Count + occupancy.QueuedAhead < limit)
        {
            task.LeaveKeyQueue();
            return;
        }

        var full = $"concurrency key {key} has {occupancy.UnderWay.Count} task(s) under way and {occupancy.QueuedAhead} queued ahead (limit {limit})";
        switch (task.ConcurrencyStrategy ?? ConcurrencyStrategies.Queue)
        {
            case ConcurrencyStrategies.DropNewest:
                task.KeyVerdict = KeyVerdict.Drop;
                task.End($"dropped: {full}; its strategy is dropNewest", "policy", "concurrency key full", now);
                return;
            case ConcurrencyStrategies.CancelRunning when occupancy.UnderWay.Count > 0:
                var oldest = occupancy.UnderWay[0];
                await context.Publish(new CancelTask(oldest, "policy", $"superseded by task {task.CorrelationId} (concurrency key {key}, strategy cancelRunning)"),
                    context.CancellationToken);
                task.LastSendingMessageId = context.MessageId;
                task.QueueOnKey($"{full}; cancelled the oldest, {oldest}, and waits for it to end", now);
                break;
            default:
                task.QueueOnKey(full, now);
                break;
        }

        task.KeyVerdict = KeyVerdict.Queue;
    }

    public Event<KeyReleased> KeyReleased { get; private set; } = null!;
}
