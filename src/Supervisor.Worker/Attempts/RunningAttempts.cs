using System.Collections.Concurrent;
using Supervisor.Contracts;

namespace Supervisor.Worker.Attempts;

/// <summary>
/// The jobs this worker holds, from the moment each is received: how a cancellation finds them (before the attempt's
/// lease, during its workspace and hooks, while its agent runs), and, once leased, what the heartbeat reports (which
/// renews the leases).
/// </summary>
public sealed class RunningAttempts
{
    readonly ConcurrentDictionary<Entry, byte> _entries = new();

    /// <summary>A job just received; it stays listed until the entry is disposed.</summary>
    public Entry Receive(Guid taskId, string agent)
    {
        var entry = new Entry(this, taskId, agent);
        _entries[entry] = 0;
        return entry;
    }

    /// <summary>
    /// Cancels every job of the task held here, or only the attempt <paramref name="attemptId"/> when given (its lease was
    /// taken over); returns how many there were.
    /// </summary>
    public int Cancel(Guid taskId, string reason, Guid? attemptId = null)
    {
        var count = 0;
        foreach (var entry in _entries.Keys.Where(e => e.TaskId == taskId && (attemptId is null || e.AttemptId == attemptId)))
        {
            entry.Cancel(reason);
            count++;
        }

        return count;
    }

    /// <summary>The leased attempts, for the heartbeat and the metrics.</summary>
    public IReadOnlyList<RunningAttempt> Snapshot() =>
        _entries.Keys.Where(e => e.AttemptId != Guid.Empty)
            .Select(e => new RunningAttempt(e.TaskId, e.AttemptId, e.Attempt, e.Agent, e.StartedAt, e.LastOutputAt)).ToList();

    /// <summary>One job held by this worker; disposing it takes it off the list.</summary>
    public sealed class Entry(RunningAttempts owner, Guid taskId, string agent) : IDisposable
    {
        readonly CancellationTokenSource _cancelled = new();
        long _lastOutputTicks;

        public Guid TaskId { get; } = taskId;
        public string Agent { get; } = agent;

        /// <summary>The leased attempt's id; empty until the lease is granted.</summary>
        public Guid AttemptId { get; private set; }
        public int Attempt { get; private set; }
        public DateTime StartedAt { get; private set; }

        /// <summary>When the agent last printed anything: its sign of life between heartbeats.</summary>
        public DateTime? LastOutputAt => Interlocked.Read(ref _lastOutputTicks) is var ticks and > 0 ? new DateTime(ticks, DateTimeKind.Utc) : null;

        public CancellationToken Cancelled => _cancelled.Token;

        public string? CancelReason { get; private set; }

        /// <summary>The job's attempt holds the lease: heartbeats list it from now on, which keeps the lease.</summary>
        public void Lease(Guid attemptId, int attempt, DateTime at)
        {
            Attempt = attempt;
            StartedAt = at;
            AttemptId = attemptId;
        }

        public void Touch(DateTime at) => Interlocked.Exchange(ref _lastOutputTicks, at.Ticks);

        public void Cancel(string reason)
        {
            CancelReason ??= reason;
            try
            {
                _cancelled.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // the job ended meanwhile: nothing left to stop
            }
        }

        public void Dispose()
        {
            owner._entries.TryRemove(this, out _);
            _cancelled.Dispose();
        }
    }
}
