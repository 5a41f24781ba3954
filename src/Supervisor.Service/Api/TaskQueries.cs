using Microsoft.Extensions.Options;
using Supervisor.Contracts;
using Supervisor.Service.Fleet;
using Supervisor.Service.Logs;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Api;

/// <summary>The read side of the API: the stored tasks (never through the saga), with what the workers' heartbeats add.</summary>
public sealed class TaskQueries(ITaskReads tasks, ILogStore logs, FleetQueries fleet, TimeProvider clock, IOptions<FleetOptions> fleetOptions)
{
    public async Task<IReadOnlyList<TaskSummaryView>> ListAsync(TaskFilter filter, int limit, CancellationToken cancellationToken) =>
        (await tasks.ListAsync(filter, limit, cancellationToken))
        .Select(TaskSummaryView.Of)
        .ToList();

    /// <summary>How many tasks pass the filter in each state, every state named (0 where none).</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountByStateAsync(TaskFilter filter, CancellationToken cancellationToken)
    {
        var counts = await tasks.CountByStateAsync(filter, cancellationToken);
        return TaskStates.All.ToDictionary(s => s, s => counts.GetValueOrDefault(s), StringComparer.Ordinal);
    }

    public async Task<TaskView?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        var task = await tasks.GetAsync(id, cancellationToken);
        if (task is null)
            return null;
        var open = task.Attempts.Where(a => a.StartedAt is not null && a.FinishedAt is null).Select(a => a.Id).ToList();
        var heartbeats = await fleet.HeartbeatsAsync(open, cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;

        return new TaskView(
            task.Id, task.State, task.Prompt, task.Agents, task.CurrentAgent, task.Risk, task.Labels,
            task.RepositoryPath is null && task.RepositoryUrl is null ? null : new RepositoryView(task.RepositoryPath, task.RepositoryUrl, task.BaseRef, task.Remote?.PushTo,
                task.Remote?.OpenPullRequest ?? false, task.Remote?.PullRequestTitle, task.Remote?.PullRequestBody),
            task.TimeoutSeconds, task.Verify, task.ExpectChanges, task.SubmittedBy, task.CreatedAt, task.RunAt, task.UpdatedAt, task.FinishedAt, task.Error,
            task.Attempts.OrderBy(a => a.StartedAt ?? a.FinishedAt ?? DateTime.MaxValue).ThenBy(a => a.Number)
                .Select(a => new AttemptView(a.Number, a.Pass, a.Agent, a.Worker, a.Host, a.Redelivery, a.StartedAt, a.FinishedAt, a.ExitCode,
                    a.ErrorClass, a.Message, a.NextRetryAt, a.Branch, a.OutputChunks, UsageView.Of(a.InputTokens, a.OutputTokens, a.CostUsd))
                {
                    LastHeartbeat = heartbeats.GetValueOrDefault(a.Id)?.At,
                    LastOutputAt = heartbeats.GetValueOrDefault(a.Id)?.LastOutputAt,
                    Model = a.Model,
                    Account = a.Account,
                    // An open attempt that no live heartbeat mentions any more ran on a worker that vanished.
                    WorkerLost = a.FinishedAt is not null ? null
                        : heartbeats.TryGetValue(a.Id, out var beat) ? beat.Lost
                        : now - a.StartedAt > fleetOptions.Value.LostAfter,
                })
                .ToList(),
            task.Transitions.Select(t => new TransitionView(t.From, t.To, t.Event, t.At, t.By, t.Reason)).ToList(),
            task.ResultAgent is null ? null : new ResultView(task.ResultAgent, task.ResultBranch, task.ResultCommit, task.ResultDiffStat, task.ResultSummary,
                task.Remote?.ResultRemote, task.Remote?.ResultLink, task.Remote?.ResultPullRequest),
            UsageView.Of(Sum(task.Attempts.Select(a => a.InputTokens)), Sum(task.Attempts.Select(a => a.OutputTokens)),
                task.Attempts.Any(a => a.CostUsd is not null) ? task.Attempts.Sum(a => a.CostUsd ?? 0) : null),
            LimitsView.Of(task.Limits), ConcurrencyView.Of(task.Concurrency), WaitingView.Of(task.Hold), task.Model,
            TaskBudgetView.Of(task.Budget, task.Attempts));
    }

    static long? Sum(IEnumerable<long?> values) => values.Any(v => v is not null) ? values.Sum(v => v ?? 0) : null;

    /// <summary>The task's state, or null when there is no such task; asked on every submit that names its id.</summary>
    public Task<string?> GetStateAsync(Guid id, CancellationToken cancellationToken) => tasks.GetStateAsync(id, cancellationToken);

    public Task<bool> CancelConfirmedAsync(Guid id, CancellationToken cancellationToken) => tasks.CancelConfirmedAsync(id, cancellationToken);

    /// <summary>All stored output chunks of a task, in attempt then sequence order.</summary>
    public async Task<IReadOnlyList<LogChunkView>> LogsAsync(Guid id, CancellationToken cancellationToken) =>
        (await logs.ReadAsync(id, cancellationToken)).Select(c => new LogChunkView(c.Attempt, c.Sequence, c.Stream, c.Text, c.At)).ToList();
}
