using Dapper;
using Npgsql;
using Supervisor.Contracts;

namespace Supervisor.Service.Storage.Postgres;

/// <summary><c>schedules</c> and <c>schedule_fires</c> (Migrations/0009_schedules.sql), with plain SQL.</summary>
sealed class PostgresScheduleStore(NpgsqlDataSource dataSource) : IScheduleStore
{
    const string Columns = """
        s.id AS Id, s.name AS Name, s.cron AS Cron, s.every AS Every, s.time_zone AS TimeZone, s.template::text AS Template,
        s.overlap AS Overlap, s.catch_up_window AS CatchUpWindow, s.catch_up AS CatchUp, s.start_at AS StartAt, s.end_at AS EndAt,
        s.paused AS Paused, s.paused_by AS PausedBy, s.pause_reason AS PauseReason, s.evaluated_until AS EvaluatedUntil,
        s.last_fire_at AS LastFireAt, s.next_fire_at AS NextFireAt, s.missed_catch_up AS MissedCatchUp, s.coalesced AS Coalesced,
        s.overlap_skipped AS OverlapSkipped, s.created_by AS CreatedBy, s.created_at AS CreatedAt, s.updated_at AS UpdatedAt
        """;

    public async Task<ScheduleCreation> CreateAsync(ScheduleRecord schedule, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var inserted = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO schedules (id, name, cron, every, time_zone, template, overlap, catch_up_window, catch_up, start_at, end_at, paused,
                                   paused_by, pause_reason, evaluated_until, last_fire_at, next_fire_at, created_by, created_at, updated_at)
            VALUES (@id, @name, @cron, @every, @timeZone, @template, @overlap, @catchUpWindow, @catchUp, @startAt, @endAt, @paused,
                    @pausedBy, @pauseReason, @evaluatedUntil, NULL, @nextFireAt, @createdBy, @createdAt, @createdAt)
            ON CONFLICT DO NOTHING
            """, new
        {
            id = schedule.Id,
            name = schedule.Name,
            cron = schedule.Cron,
            every = Pg.Interval(schedule.Every),
            timeZone = schedule.TimeZone,
            template = Pg.Jsonb(schedule.Template),
            overlap = schedule.Overlap,
            catchUpWindow = Pg.Interval(schedule.CatchUpWindow),
            catchUp = schedule.CatchUp,
            startAt = Pg.TimestampTz(schedule.StartAt),
            endAt = Pg.TimestampTz(schedule.EndAt),
            paused = schedule.Paused,
            pausedBy = schedule.PausedBy,
            pauseReason = schedule.PauseReason,
            evaluatedUntil = Pg.TimestampTz(schedule.EvaluatedUntil),
            nextFireAt = Pg.TimestampTz(schedule.NextFireAt),
            createdBy = schedule.CreatedBy,
            createdAt = Pg.TimestampTz(schedule.CreatedAt),
        }, cancellationToken: cancellationToken));
        if (inserted == 1)
            return new ScheduleCreation(true, null, false);
        var same = await GetAsync(connection, schedule.Id, null, cancellationToken);
        return new ScheduleCreation(false, same, same is null);
    }

    public async Task<ScheduleRecord?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await GetAsync(connection, id, null, cancellationToken);
    }

    public async Task<IReadOnlyList<(ScheduleRecord Schedule, int OpenTasks)>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ScheduleRow>(new CommandDefinition($"""
            SELECT {Columns},
                   (SELECT count(*) FROM schedule_fires f LEFT JOIN tasks t ON t.id = f.task_id
                    WHERE f.schedule_id = s.id AND f.open AND (t.id IS NULL OR t.state <> ALL(@terminal)))::int AS OpenTasks
            FROM schedules s ORDER BY s.created_at DESC, s.id LIMIT @limit
            """, new { limit, terminal = TaskStates.Terminal.ToArray() }, cancellationToken: cancellationToken));
        return rows.Select(r => (r.ToRecord(), r.OpenTasks)).ToList();
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM schedules WHERE id = @id", new { id }, cancellationToken: cancellationToken)) > 0;
    }

    public async Task<IReadOnlyList<FireRecord>> RecentFiresAsync(Guid id, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<FireRow>(new CommandDefinition("""
            SELECT f.occurrence_at AS OccurrenceAt, f.kind AS Kind, f.outcome AS Outcome, f.task_id AS TaskId, f.reason AS Reason,
                   f.decided_at AS DecidedAt, t.state AS TaskState
            FROM schedule_fires f LEFT JOIN tasks t ON t.id = f.task_id
            WHERE f.schedule_id = @id ORDER BY f.decided_at DESC, f.occurrence_at DESC LIMIT @limit
            """, new { id, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => new FireRecord(r.ToFire(), Utc(r.DecidedAt), r.TaskState)).ToList();
    }

    public async Task<StoredFire?> FindFireAsync(Guid taskId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<FireRow>(new CommandDefinition("""
            SELECT occurrence_at AS OccurrenceAt, kind AS Kind, outcome AS Outcome, task_id AS TaskId, reason AS Reason, decided_at AS DecidedAt
            FROM schedule_fires WHERE task_id = @taskId
            """, new { taskId }, cancellationToken: cancellationToken)))?.ToFire();
    }

    public async Task<IReadOnlyList<TaskSummary>> TasksAsync(Guid id, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<TaskRow>(new CommandDefinition("""
            SELECT t.id AS Id, t.state AS State, t.agents AS Agents, t.chain_index AS ChainIndex, t.prompt AS Prompt, t.created_at AS CreatedAt,
                   t.updated_at AS UpdatedAt, t.finished_at AS FinishedAt, t.labels::text AS Labels, t.run_at AS RunAt,
                   t.on_limit AS OnLimit, t.max_wait_seconds AS MaxWaitSeconds, t.max_windows AS MaxWindows, t.hold_account AS HoldAccount,
                   t.hold_reason AS HoldReason, t.hold_until AS HoldUntil, t.hold_deadline AS HoldDeadline, t.wait_since AS WaitSince,
                   t.hold_message AS HoldMessage, t.concurrency_key AS ConcurrencyKey, t.concurrency_limit AS ConcurrencyLimit,
                   t.concurrency_strategy AS ConcurrencyStrategy
            FROM schedule_fires f JOIN tasks t ON t.id = f.task_id
            WHERE f.schedule_id = @id ORDER BY t.created_at DESC LIMIT @limit
            """, new { id, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => new TaskSummary(r.Id, r.State, r.Agents, r.ChainIndex < r.Agents.Length ? r.Agents[r.ChainIndex] : null, r.Prompt,
                Utc(r.CreatedAt), Utc(r.UpdatedAt), Utc(r.FinishedAt),
                System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(r.Labels) ?? [], Utc(r.RunAt),
                new TaskLimitChoices(r.OnLimit, r.MaxWaitSeconds, r.MaxWindows),
                TaskHold.Of(r.HoldAccount, r.HoldReason, r.ConcurrencyKey, Utc(r.HoldUntil), Utc(r.HoldDeadline), Utc(r.WaitSince), r.HoldMessage),
                TaskConcurrency.Of(r.ConcurrencyKey, r.ConcurrencyLimit, r.ConcurrencyStrategy)))
            .ToList();
    }

    public async Task<T?> DecideAsync<T>(Guid id, Func<LockedSchedule, (ScheduleChanges Changes, T Result)> decide, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);
        var schedule = await GetAsync(connection, id, transaction, cancellationToken);
        if (schedule is null)
            return default;

        var open = (await connection.QueryAsync<(Guid TaskId, string? State)>(new CommandDefinition("""
            SELECT f.task_id, t.state FROM schedule_fires f LEFT JOIN tasks t ON t.id = f.task_id WHERE f.schedule_id = @id AND f.open
            """, new { id }, transaction, cancellationToken: cancellationToken))).ToList();
        var ended = open.Where(o => o.State is { } state && TaskStates.Terminal.Contains(state, StringComparer.Ordinal)).Select(o => o.TaskId).ToArray();
        if (ended.Length > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition("UPDATE schedule_fires SET open = false WHERE schedule_id = @id AND task_id = ANY(@ended)",
                new { id, ended }, transaction, cancellationToken: cancellationToken));
        }

        var buffered = (await connection.QueryAsync<FireRow>(new CommandDefinition("""
            SELECT occurrence_at AS OccurrenceAt, kind AS Kind, outcome AS Outcome, task_id AS TaskId, reason AS Reason, decided_at AS DecidedAt
            FROM schedule_fires WHERE schedule_id = @id AND outcome = 'buffered'
            """, new { id }, transaction, cancellationToken: cancellationToken))).SingleOrDefault()?.ToFire();

        var (changes, result) = decide(new LockedSchedule(schedule, [.. open.Select(o => o.TaskId).Except(ended)], buffered));
        var now = changes.EvaluatedUntil;
        if (changes.Superseded is { } superseded)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE schedule_fires SET outcome = 'skipped', reason = @reason, decided_at = @now WHERE schedule_id = @id AND task_id = @task AND outcome = 'buffered'
                """, new { id, task = superseded.TaskId, reason = superseded.Reason, now = Pg.TimestampTz(now) }, transaction, cancellationToken: cancellationToken));
        }

        if (changes.Released is { } released)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE schedule_fires SET outcome = 'submitted', open = true, decided_at = @now WHERE schedule_id = @id AND task_id = @task AND outcome = 'buffered'
                """, new { id, task = released, now = Pg.TimestampTz(now) }, transaction, cancellationToken: cancellationToken));
        }

        foreach (var fire in changes.NewFires)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO schedule_fires (schedule_id, occurrence_at, kind, outcome, task_id, reason, decided_at, open)
                VALUES (@id, @at, @kind, @outcome, @task, @reason, @now, @outcome = 'submitted')
                ON CONFLICT DO NOTHING
                """, new { id, at = Pg.TimestampTz(fire.OccurrenceAt), kind = fire.Kind, outcome = fire.Outcome, task = fire.TaskId, reason = fire.Reason, now = Pg.TimestampTz(now) },
                transaction, cancellationToken: cancellationToken));
        }

        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE schedules SET evaluated_until = greatest(evaluated_until, @evaluatedUntil), last_fire_at = @lastFireAt, next_fire_at = @nextFireAt,
                   missed_catch_up = missed_catch_up + @missed, coalesced = coalesced + @coalesced, overlap_skipped = overlap_skipped + @skipped,
                   paused = @paused, paused_by = @pausedBy, pause_reason = @pauseReason, updated_at = @now
            WHERE id = @id
            """, new
        {
            id,
            evaluatedUntil = Pg.TimestampTz(changes.EvaluatedUntil),
            lastFireAt = Pg.TimestampTz(changes.LastFireAt),
            nextFireAt = Pg.TimestampTz(changes.NextFireAt),
            missed = changes.MissedCatchUp,
            coalesced = changes.Coalesced,
            skipped = changes.OverlapSkipped,
            paused = changes.Paused,
            pausedBy = changes.PausedBy,
            pauseReason = changes.PauseReason,
            now = Pg.TimestampTz(now),
        }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    public async Task<ScheduleSweepFindings> FindForSweepAsync(DateTime overdueBefore, DateTime unseenBefore, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var schedules = await connection.QueryAsync<Guid>(new CommandDefinition("""
            (SELECT id FROM schedules WHERE NOT paused AND next_fire_at < @overdueBefore ORDER BY next_fire_at LIMIT @limit)
            UNION
            (SELECT f.schedule_id FROM schedule_fires f JOIN schedules s ON s.id = f.schedule_id
             WHERE f.outcome = 'buffered' AND NOT s.paused LIMIT @limit)
            """, new { overdueBefore = Pg.TimestampTz(overdueBefore), limit }, cancellationToken: cancellationToken));
        var unseen = await connection.QueryAsync<FireRow>(new CommandDefinition("""
            SELECT f.schedule_id AS ScheduleId, f.occurrence_at AS OccurrenceAt, f.kind AS Kind, f.outcome AS Outcome, f.task_id AS TaskId,
                   f.reason AS Reason, f.decided_at AS DecidedAt
            FROM schedule_fires f
            WHERE f.open AND f.decided_at < @unseenBefore AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = f.task_id)
            ORDER BY f.decided_at LIMIT @limit
            """, new { unseenBefore = Pg.TimestampTz(unseenBefore), limit }, cancellationToken: cancellationToken));
        return new ScheduleSweepFindings([.. schedules], [.. unseen.Select(f => (f.ScheduleId, f.ToFire()))]);
    }

    public async Task<int> PruneFiresAsync(DateTime before, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM schedule_fires WHERE decided_at < @before AND outcome <> 'buffered' AND NOT open",
            new { before = Pg.TimestampTz(before) }, cancellationToken: cancellationToken));
    }

    static async Task<ScheduleRecord?> GetAsync(NpgsqlConnection connection, Guid id, NpgsqlTransaction? lockIn, CancellationToken cancellationToken) =>
        (await connection.QuerySingleOrDefaultAsync<ScheduleRow>(new CommandDefinition(
            $"SELECT {Columns}, 0 AS OpenTasks FROM schedules s WHERE s.id = @id" + (lockIn is null ? "" : " FOR UPDATE"),
            new { id }, lockIn, cancellationToken: cancellationToken)))?.ToRecord();

    static DateTime Utc(DateTime at) => DateTime.SpecifyKind(at, DateTimeKind.Utc);

    static DateTime? Utc(DateTime? at) => at is { } value ? Utc(value) : null;

    sealed class ScheduleRow
    {
        public Guid Id { get; set; }
        public string? Name { get; set; }
        public string? Cron { get; set; }
        public TimeSpan? Every { get; set; }
        public string TimeZone { get; set; } = "";
        public string Template { get; set; } = "{}";
        public string Overlap { get; set; } = "";
        public TimeSpan CatchUpWindow { get; set; }
        public string CatchUp { get; set; } = "";
        public DateTime? StartAt { get; set; }
        public DateTime? EndAt { get; set; }
        public bool Paused { get; set; }
        public string? PausedBy { get; set; }
        public string? PauseReason { get; set; }
        public DateTime EvaluatedUntil { get; set; }
        public DateTime? LastFireAt { get; set; }
        public DateTime? NextFireAt { get; set; }
        public long MissedCatchUp { get; set; }
        public long Coalesced { get; set; }
        public long OverlapSkipped { get; set; }
        public string? CreatedBy { get; set; }
        public DateTime CreatedAt { get; set; }
        public DateTime UpdatedAt { get; set; }
        public int OpenTasks { get; set; }

        public ScheduleRecord ToRecord() => new(Id, Name, Cron, Every, TimeZone, Template, Overlap, CatchUpWindow, CatchUp, Utc(StartAt), Utc(EndAt),
            Paused, PausedBy, PauseReason, Utc(EvaluatedUntil), Utc(LastFireAt), Utc(NextFireAt), MissedCatchUp, Coalesced, OverlapSkipped,
            CreatedBy, Utc(CreatedAt), Utc(UpdatedAt));
    }

    sealed class FireRow
    {
        public Guid ScheduleId { get; set; }
        public DateTime OccurrenceAt { get; set; }
        public string Kind { get; set; } = "";
        public string Outcome { get; set; } = "";
        public Guid TaskId { get; set; }
        public string? Reason { get; set; }
        public DateTime DecidedAt { get; set; }
        public string? TaskState { get; set; }

        public StoredFire ToFire() => new(Utc(OccurrenceAt), Kind, Outcome, TaskId, Reason);
    }

    sealed class TaskRow
    {
        public Guid Id { get; set; }
        public string State { get; set; } = "";
        public string[] Agents { get; set; } = [];
        public int ChainIndex { get; set; }
        public string Prompt { get; set; } = "";
        public DateTime CreatedAt { get; set; }
        public DateTime UpdatedAt { get; set; }
        public DateTime? FinishedAt { get; set; }
        public string Labels { get; set; } = "{}";
        public DateTime? RunAt { get; set; }
        public string? OnLimit { get; set; }
        public int? MaxWaitSeconds { get; set; }
        public int? MaxWindows { get; set; }
        public string? HoldAccount { get; set; }
        public string? HoldReason { get; set; }
        public DateTime? HoldUntil { get; set; }
        public DateTime? HoldDeadline { get; set; }
        public DateTime? WaitSince { get; set; }
        public string? HoldMessage { get; set; }
        public string? ConcurrencyKey { get; set; }
        public int? ConcurrencyLimit { get; set; }
        public string? ConcurrencyStrategy { get; set; }
    }
}
