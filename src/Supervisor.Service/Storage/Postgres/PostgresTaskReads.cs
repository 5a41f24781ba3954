using Dapper;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Supervisor.Service.Storage.Postgres;

/// <summary>Straight queries of the saga's tables (<c>tasks</c>, <c>task_attempts</c>, <c>task_transitions</c>).</summary>
sealed class PostgresTaskReads(IDbContextFactory<SupervisorDbContext> dbContextFactory, NpgsqlDataSource dataSource) : ITaskReads
{
    public async Task<IReadOnlyList<TaskSummary>> ListAsync(TaskFilter filter, int limit, CancellationToken cancellationToken)
    {
        await using var db = await dbContextFactory.CreateDbContextAsync(cancellationToken);
        var (where, parameters) = Where(filter, withState: true);
        // The condition is built from constant text; every value in it is a parameter.
#pragma warning disable EF1003
        var query = db.Tasks.FromSqlRaw("SELECT * FROM tasks WHERE " + where, [.. parameters]).AsNoTracking();
#pragma warning restore EF1003
        var rows = await query.OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.CorrelationId).Take(limit)
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
                t.Risk,
            })
            .ToListAsync(cancellationToken);
        return rows.Select(t => new TaskSummary(
                t.CorrelationId, t.CurrentState, t.Agents, t.ChainIndex < t.Agents.Count ? t.Agents[t.ChainIndex] : null, t.Prompt,
                t.CreatedAt, t.UpdatedAt, t.FinishedAt, t.Labels, t.RunAt, new TaskLimitChoices(t.OnLimit, t.MaxWaitSeconds, t.MaxWindows),
                TaskHold.Of(t.HoldAccount, t.HoldReason, t.ConcurrencyKey, t.HoldUntil, t.HoldDeadline, t.WaitSince, t.HoldMessage),
                TaskConcurrency.Of(t.ConcurrencyKey, t.ConcurrencyLimit, t.ConcurrencyStrategy), t.Risk))
            .ToList();
    }

    public async Task<IReadOnlyDictionary<string, long>> CountByStateAsync(TaskFilter filter, CancellationToken cancellationToken)
    {
        var (where, parameters) = Where(filter, withState: false);
        // Every task: the supervisor_tasks gauge that the triggers keep exact (migration 0004), a few rows instead of a count
        // of the whole history. A filter counts the tasks that pass it.
        await using var command = dataSource.CreateCommand(filter with { State = null } == new TaskFilter()
            ? """
              SELECT label, sum(value)::bigint
              FROM (SELECT label, value FROM metric_totals WHERE family = 'supervisor_tasks'
                    UNION ALL
                    SELECT label, value FROM metric_deltas WHERE family = 'supervisor_tasks') AS s
              GROUP BY label HAVING sum(value) > 0
              """
            : $"SELECT state, count(*) FROM tasks WHERE {where} GROUP BY state");
        command.Parameters.AddRange(parameters.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
            counts[reader.GetString(0)] = reader.GetInt64(1);
        return counts;
    }

    public async Task<long> LastTransitionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT max(id) FROM task_transitions", cancellationToken: cancellationToken)) ?? 0;
    }

    /// <summary>
    /// The filter as a condition on <c>tasks</c> with its parameters (values only ever travel as parameters). A page starts
    /// after its <see cref="TaskFilter.Before"/> task in the list's order: creation time, then id, both descending.
    /// </summary>
    static (string Where, List<NpgsqlParameter> Parameters) Where(TaskFilter filter, bool withState)
    {
        var conditions = new List<string> { "true" };
        var parameters = new List<NpgsqlParameter>();
        void Add(string condition, object value)
        {
            var name = "p" + parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            conditions.Add(condition.Replace("@p", "@" + name, StringComparison.Ordinal));
            parameters.Add(new NpgsqlParameter(name, value));
        }

        if (withState && filter.State is { } state)
            Add("state = @p", state);
        if (filter.Ids is { } ids)
        {
            Add("id >= @p", ids.From);
            Add("id <= @p", ids.To);
        }

        // Parked on a blocked account, or queued on a full concurrency key (hold_reason 'concurrency', no account).
        if (filter.Waiting)
            conditions.Add("(hold_account IS NOT NULL OR hold_reason IS NOT NULL)");
        if (filter.Agent is { } agent)
            Add("task_agents_json(agents) @> jsonb_build_array(@p::text)", agent); // what the index tasks_agents answers (migration 0017)
        if (filter.Label is { } label)
        {
            var equals = label.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
                Add("labels ? @p", label);
            else
                Add("labels @> @p::jsonb", System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>(StringComparer.Ordinal) { [label[..equals]] = label[(equals + 1)..] }));
        }

        if (filter.Text is { } text)
            Add(@"prompt ILIKE '%' || @p || '%' ESCAPE '\'", text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal));
        if (filter.Before is { } before)
            Add("(created_at, id) < (SELECT b.created_at, b.id FROM tasks b WHERE b.id = @p)", before);
        return (string.Join(" AND ", conditions), parameters);
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
