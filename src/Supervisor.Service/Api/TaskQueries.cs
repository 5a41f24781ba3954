using Microsoft.EntityFrameworkCore;
using Npgsql;
using Supervisor.Service.Persistence;

namespace Supervisor.Service.Api;

/// <summary>The read side of the API: straight queries of the saga's tables, never through the saga.</summary>
public sealed class TaskQueries(IDbContextFactory<SupervisorDbContext> dbContextFactory, NpgsqlDataSource dataSource, Fleet.FleetQueries fleet,
    TimeProvider clock, Microsoft.Extensions.Options.IOptions<Fleet.FleetOptions> fleetOptions)
{
    /// <summary>The ids that start with a prefix, as a range of the primary key (PostgreSQL orders uuids as their hex text).</summary>
    public sealed record IdRange(Guid From, Guid To)
    {
        public static IdRange? Of(string prefix)
        {
            var hex = prefix.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
            if (hex.Length is < 1 or > 32 || !hex.All(char.IsAsciiHexDigit))
                return null;
            return new IdRange(Guid.ParseExact(hex.PadRight(32, '0'), "N"), Guid.ParseExact(hex.PadRight(32, 'f'), "N"));
        }
    }

    public async Task<IReadOnlyList<TaskSummaryView>> ListAsync(string? state, int limit, IdRange? ids, CancellationToken cancellationToken)
    {
        await using var db = await dbContextFactory.CreateDbContextAsync(cancellationToken);
        var query = ids is null
            ? db.Tasks.AsNoTracking()
            : db.Tasks.FromSql($"SELECT * FROM tasks WHERE id BETWEEN {ids.From} AND {ids.To}").AsNoTracking();
        if (state is not null)
            query = query.Where(t => t.CurrentState == state);
        var rows = await query.OrderByDescending(t => t.CreatedAt).Take(limit)
            .Select(t => new { t.CorrelationId, t.CurrentState, t.Agents, t.ChainIndex, t.Prompt, t.CreatedAt, t.UpdatedAt, t.FinishedAt, t.Labels })
            .ToListAsync(cancellationToken);
        return rows.Select(t => new TaskSummaryView(
                t.CorrelationId, t.CurrentState, t.Agents, t.ChainIndex < t.Agents.Count ? t.Agents[t.ChainIndex] : null, t.Prompt,
                t.CreatedAt, t.UpdatedAt, t.FinishedAt, t.Labels))
            .ToList();
    }

    public async Task<TaskView?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbContextFactory.CreateDbContextAsync(cancellationToken);
        var task = await db.Tasks.AsNoTracking().Include(t => t.Attempts).FirstOrDefaultAsync(t => t.CorrelationId == id, cancellationToken);
        if (task is null)
            return null;
        var transitions = await db.Transitions.AsNoTracking().Where(t => t.TaskId == id).OrderBy(t => t.Id)
            .Select(t => new TransitionView(t.From, t.To, t.Event, t.At, t.By, t.Reason)).ToListAsync(cancellationToken);
        var open = task.Attempts.Where(a => a.StartedAt is not null && a.FinishedAt is null).Select(a => a.Id).ToList();
        var heartbeats = await fleet.HeartbeatsAsync(open, cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;

        return new TaskView(
            task.CorrelationId, task.CurrentState, task.Prompt, task.Agents, task.CurrentAgent, task.Risk, task.Labels,
            task.RepositoryPath is null && task.RepositoryUrl is null ? null : new RepositoryView(task.RepositoryPath, task.RepositoryUrl, task.BaseRef),
            task.TimeoutSeconds, task.Verify, task.ExpectChanges, task.SubmittedBy, task.CreatedAt, task.UpdatedAt, task.FinishedAt, task.Error,
            task.Attempts.OrderBy(a => a.StartedAt ?? a.FinishedAt ?? DateTime.MaxValue).ThenBy(a => a.Number)
                .Select(a => new AttemptView(a.Number, a.Pass, a.Agent, a.Worker, a.Host, a.Redelivery, a.StartedAt, a.FinishedAt, a.ExitCode,
                    a.ErrorClass, a.Message, a.NextRetryAt, a.Branch, a.OutputChunks, UsageView.Of(a.InputTokens, a.OutputTokens, a.CostUsd))
                {
                    LastHeartbeat = heartbeats.GetValueOrDefault(a.Id)?.At,
                    LastOutputAt = heartbeats.GetValueOrDefault(a.Id)?.LastOutputAt,
                    // An open attempt that no live heartbeat mentions any more ran on a worker that vanished.
                    WorkerLost = a.FinishedAt is not null ? null
                        : heartbeats.TryGetValue(a.Id, out var beat) ? beat.Lost
                        : now - a.StartedAt > fleetOptions.Value.LostAfter,
                })
                .ToList(),
            transitions,
            task.ResultAgent is null ? null : new ResultView(task.ResultAgent, task.ResultBranch, task.ResultCommit, task.ResultDiffStat, task.ResultSummary),
            UsageView.Of(Sum(task.Attempts.Select(a => a.InputTokens)), Sum(task.Attempts.Select(a => a.OutputTokens)),
                task.Attempts.Any(a => a.CostUsd is not null) ? task.Attempts.Sum(a => a.CostUsd ?? 0) : null));
    }

    static long? Sum(IEnumerable<long?> values) => values.Any(v => v is not null) ? values.Sum(v => v ?? 0) : null;

    /// <summary>The task's state, or null when there is no such task; asked on every submit that names its id.</summary>
    public async Task<string?> GetStateAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT state FROM tasks WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return (string?)await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>All stored output chunks of a task, in attempt then sequence order.</summary>
    public async Task<IReadOnlyList<LogChunkView>> LogsAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT attempt, seq, stream, text, at FROM task_logs WHERE task_id = $1 ORDER BY attempt, attempt_id, seq");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var chunks = new List<LogChunkView>();
        while (await reader.ReadAsync(cancellationToken))
            chunks.Add(new LogChunkView(reader.GetInt32(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3),
                DateTime.SpecifyKind(reader.GetDateTime(4), DateTimeKind.Utc)));
        return chunks;
    }
}
