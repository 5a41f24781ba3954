using Dapper;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Supervisor.Service.Storage.Postgres;

/// <summary>Straight queries of the saga's tables (<c>tasks</c>, <c>task_attempts</c>, <c>task_transitions</c>).</summary>
sealed class PostgresTaskReads(IDbContextFactory<SupervisorDbContext> dbContextFactory, NpgsqlDataSource dataSource) : ITaskReads
{
    public async Task<IReadOnlyList<TaskSummary>> ListAsync(string? state, bool waiting, int limit, TaskIdRange? ids, CancellationToken cancellationToken)
    {
        await using var db = await dbContextFactory.CreateDbContextAsync(cancellationToken);
        // PostgreSQL orders uuids as their hex text, so a prefix is a range of the primary key.
        var query = ids is null
            ? db.Tasks.AsNoTracking()
            : db.Tasks.FromSql($"SELECT * FROM tasks WHERE id BETWEEN {ids.From} AND {ids.To}").AsNoTracking();
        if (state is not null)
            query = query.Where(t => t.CurrentState == state);
        if (waiting)
            query = query.Where(t => t.HoldAccount != null || t.HoldReason != null);
        var rows = await query.OrderByDescending(t => t.CreatedAt).Take(limit)
            .Select(t => new
            {
                t.CorrelationId,
                t.CurrentState,
                t.Agents,
                t.ChainIndex,
                t.Prompt,
                t.CreatedAt,
                t.UpdatedAt,
                t.FinishedAt,
                t.Labels,
                t.RunAt,
                t.OnLimit,
                t.MaxWaitSeconds,
                t.MaxWindows,
                t.HoldAccount,
                t.HoldReason,
                t.HoldUntil,
                t.HoldDeadline,
                t.WaitSince,
                t.HoldMessage,
                t.ConcurrencyKey,
                t.ConcurrencyLimit,
                t.ConcurrencyStrategy,
            })
            .ToListAsync(cancellationToken);
        return rows.Select(t => new TaskSummary(
                t.CorrelationId, t.CurrentState, t.Agents, t.ChainIndex < t.Agents.Count ? t.Agents[t.ChainIndex] : null, t.Prompt,
                t.CreatedAt, t.UpdatedAt, t.FinishedAt, t.Labels, t.RunAt, new TaskLimitChoices(t.OnLimit, t.MaxWaitSeconds, t.MaxWindows),
                TaskHold.Of(t.HoldAccount, t.HoldReason, t.ConcurrencyKey, t.HoldUntil, t.HoldDeadline, t.WaitSince, t.HoldMessage),
                TaskConcurrency.Of(t.ConcurrencyKey, t.ConcurrencyLimit, t.ConcurrencyStrategy)))
            .ToList();
    }

    public async Task<TaskRecord?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbContextFactory.CreateDbContextAsync(cancellationToken);
        var task = await db.Tasks.AsNoTracking().Include(t => t.Attempts).FirstOrDefaultAsync(t => t.CorrelationId == id, cancellationToken);
        if (task is null)
            return null;
        var transitions = await db.Transitions.AsNoTracking().Where(t => t.TaskId == id).OrderBy(t => t.Id)
            .Select(t => new TransitionRecord(t.From, t.To, t.Event, t.At, t.By, t.Reason)).ToListAsync(cancellationToken);

        return new TaskRecord(
            task.CorrelationId, task.CurrentState, task.Prompt, task.Agents, task.CurrentAgent, task.Risk, task.Labels, task.RepositoryPath,
            task.RepositoryUrl, task.BaseRef, task.TimeoutSeconds, task.Verify, task.ExpectChanges, task.SubmittedBy, task.CreatedAt,
            task.UpdatedAt, task.FinishedAt, task.Error, task.ResultAgent, task.ResultBranch, task.ResultCommit, task.ResultDiffStat,
            task.ResultSummary,
            task.Attempts.Select(a => new AttemptRecord(a.Id, a.Number, a.Pass, a.Agent, a.Worker, a.Host, a.Redelivery, a.Branch, a.StartedAt,
                a.FinishedAt, a.ExitCode, a.ErrorClass, a.Message, a.NextRetryAt, a.OutputChunks, a.InputTokens, a.OutputTokens, a.CostUsd, a.Account,
                a.Model)).ToList(),
            transitions, task.RunAt, new TaskLimitChoices(task.OnLimit, task.MaxWaitSeconds, task.MaxWindows),
            TaskHold.Of(task.HoldAccount, task.HoldReason, task.ConcurrencyKey, task.HoldUntil, task.HoldDeadline, task.WaitSince, task.HoldMessage),
            TaskConcurrency.Of(task.ConcurrencyKey, task.ConcurrencyLimit, task.ConcurrencyStrategy), task.Model,
            TaskBudgetChoices.Of(task.MaxCostUsd, task.MaxTokens, task.OnBudget, task.BudgetHeld),
            new TaskRemote(task.PushTo, task.OpenPullRequest, task.PullRequestTitle, task.PullRequestBody, task.ResultRemote, task.ResultLink, task.ResultPullRequest));
    }

    public async Task<string?> GetStateAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string?>(
            new CommandDefinition("SELECT state FROM tasks WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    public async Task<bool> CancelConfirmedAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool?>(new CommandDefinition(
            "SELECT state = 'Cancelled' AND lease_id IS NULL FROM tasks WHERE id = @id", new { id }, cancellationToken: cancellationToken)) == true;
    }
}
