using System.Collections.Concurrent;
using Supervisor.Contracts;

namespace Supervisor.Worker.Attempts;

/// <summary>The attempts this worker is running: what its heartbeat reports, and how a cancellation finds them.</summary>
public sealed class RunningAttempts
{
    readonly ConcurrentDictionary<Guid, Entry> _attempts = new();

    public Entry Start(Guid taskId, Guid attemptId, int attempt, string agent, DateTime startedAt)
    {
        var entry = new Entry(taskId, attemptId, attempt, agent, startedAt);
        _attempts[attemptId] = entry;
        return entry;
    }

    public void Finish(Entry entry)
    {
        _attempts.TryRemove(entry.AttemptId, out _);
        entry.Dispose();
    }

    /// <summary>Cancels every attempt of the task running here; returns how many there were.</summary>
    public int Cancel(Guid taskId, string reason)
    {
        var count = 0;
        foreach (var entry in _attempts.Values.Where(e => e.TaskId == taskId))
        {
            entry.Cancel(reason);
            count++;
        }

        return count;
    }

    public IReadOnlyList<RunningAttempt> Snapshot() =>
        _attempts.Values.Select(e => new RunningAttempt(e.TaskId, e.AttemptId, e.Attempt, e.Agent, e.StartedAt, e.LastOutputAt)).ToList();

    public sealed class Entry(Guid taskId, Guid attemptId, int attempt, string agent, DateTime startedAt) : IDisposable
    {
        readonly CancellationTokenSource _cancelled = new();
        long _lastOutputTicks;

        public Guid TaskId { get; } = taskId;
        public Guid AttemptId { get; } = attemptId;
        public int Attempt { get; } = attempt;
        public string Agent { get; } = agent;
        public DateTime StartedAt { get; } = startedAt;

        /// <summary>When the agent last printed anything: its sign of life between heartbeats.</summary>
        public DateTime? LastOutputAt => Interlocked.Read(ref _lastOutputTicks) is var ticks and > 0 ? new DateTime(ticks, DateTimeKind.Utc) : null;

        public CancellationToken Cancelled => _cancelled.Token;

        public string? CancelReason { get; private set; }

        public void Touch(DateTime at) => Interlocked.Exchange(ref _lastOutputTicks, at.Ticks);

        public void Cancel(string reason)
        {
            CancelReason ??= reason;
            _cancelled.Cancel();
        }

        public void Dispose() => _cancelled.Dispose();
    }
}
