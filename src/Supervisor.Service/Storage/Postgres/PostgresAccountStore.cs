using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Supervisor.Rules.Limits;
using Supervisor.Service.Limits;

namespace Supervisor.Service.Storage.Postgres;

/// <summary>
/// <c>accounts</c> and <c>account_blocks</c> (Migrations/0011_accounts.sql), with plain SQL; an account's spend is summed
/// over the budget windows of <c>Supervisor:Limits:BudgetTimeZone</c>.
/// </summary>
sealed partial class PostgresAccountStore(NpgsqlDataSource dataSource, IOptions<LimitSettings> settings) : IAccountStore
{
    SpendWindows Windows(DateTime now) => SpendWindows.At(now, settings.Value.BudgetZone);

    public async Task<SignalOutcome> RecordSignalAsync(AccountSignal signal, AccountLimits limits, DateTime now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO accounts (id, agent, state, updated_at) VALUES (@id, @agent, 'ok', @now) ON CONFLICT (id) DO NOTHING
            """, new { id = signal.Account, agent = signal.Agent, now = Pg.TimestampTz(now) }, transaction, cancellationToken: cancellationToken));
        var row = await connection.QuerySingleAsync<AccountRow>(new CommandDefinition($"""
            SELECT {AccountRow.Columns} FROM accounts a WHERE a.id = @id FOR UPDATE
            """, new { id = signal.Account }, transaction, cancellationToken: cancellationToken));

        var snapshot = new AccountSnapshot { Id = signal.Account, Status = row.ToStatus(), Running = 0, Reserved = 0, Now = now };
        var outcome = LimitPlanner.OnSignal(snapshot, signal.Signal, signal.ObservedAt, limits);
        var status = outcome.Status;
        var evidence = new { kind = LimitNames.Of(signal.Signal.Kind), evidence = signal.Signal.Evidence, at = now, worker = signal.Worker, taskId = signal.TaskId };
        await connection.ExecuteAsync(new CommandDefinition(AccountRows.UpdateStatus, AccountRows.StatusParameters(signal.Account, status, now),
            transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("UPDATE accounts SET last_signal = @signal WHERE id = @id",
            new { id = signal.Account, signal = Pg.Jsonb(JsonSerializer.Serialize(evidence, JsonSerializerOptions.Web)) }, transaction,
            cancellationToken: cancellationToken));

        if (outcome.Effect == SignalEffect.NewEpisode)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO account_blocks (account, kind, limit_window, evidence, recorded_at, until, task_id, attempt_id, worker)
                VALUES (@account, @kind, @window, @evidence, @now, @until, @taskId, @attemptId, @worker);
                INSERT INTO metric_deltas VALUES ('supervisor_account_blocks_total', @account, @kind, 1);
                """, new
            {
                account = signal.Account,
                kind = LimitNames.Of(signal.Signal.Kind),
                window = signal.Signal.Window,
                evidence = signal.Signal.Evidence,
                now = Pg.TimestampTz(now),
                until = Pg.TimestampTz(status.BlockedUntil!.Value),
                taskId = Pg.Uuid(signal.TaskId),
                attemptId = Pg.Uuid(signal.AttemptId),
                worker = signal.Worker,
            }, transaction, cancellationToken: cancellationToken));
        }
        else
        {
            // The episode's latest block counts the signal, and moves its end when the signal extended it.
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE account_blocks SET signals = signals + 1, until = greatest(until, @until), kind = @kind
                WHERE id = (SELECT max(id) FROM account_blocks WHERE account = @account)
                """, new
            {
                account = signal.Account,
                until = Pg.TimestampTz(status.BlockedUntil ?? now),
                kind = LimitNames.Of(status.Kind ?? signal.Signal.Kind),
            }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return outcome;
    }

    public async Task<IReadOnlyList<AccountRecord>> ListAsync(DateTime now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AccountRow>(new CommandDefinition($"""
            SELECT {AccountRow.Columns}, {AccountRows.Spend} FROM accounts a ORDER BY a.id
            """, AccountRows.SpendParameters(Windows(now)), cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<IReadOnlyList<string>> PendingReleaseAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var ids = await connection.QueryAsync<string>(new CommandDefinition("""
            SELECT a.id FROM accounts a
            WHERE a.state <> 'ok' OR EXISTS (SELECT 1 FROM account_waiters w WHERE w.account = a.id AND w.released_at IS NULL)
            ORDER BY a.id
            """, cancellationToken: cancellationToken));
        return ids.ToList();
    }

    public async Task<ReleasePlan> ReleaseAsync(string account, Func<AccountToRelease, ReleasePlan> plan, TimeSpan reservationHold, DateTime now,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Nobody asks here: every running attempt and every reservation counts.
        var row = await AccountRows.LockAndReadAsync(connection, transaction, account, Guid.Empty, now - reservationHold, Windows(now), cancellationToken);
        var waiters = await connection.QueryAsync<(Guid TaskId, DateTime Since, string? OnLimit, bool Capped)>(new CommandDefinition("""
            SELECT w.task_id, w.since, t.on_limit,
                   coalesce(t.hold_reason = 'cap' AND t.chain_index + 1 < cardinality(t.agents), false)
            FROM account_waiters w LEFT JOIN tasks t ON t.id = w.task_id
            WHERE w.account = @account AND w.released_at IS NULL ORDER BY w.since, w.task_id
            """, new { account }, transaction, cancellationToken: cancellationToken));
        var status = row.ToStatus();
        ProbeOutcome? probe = status is { State: AccountState.Probing, ProbeTask: { } probeTask, ProbeSince: { } probeSince }
            ? await ProbeOutcomeAsync(connection, transaction, account, probeTask, probeSince, now, cancellationToken)
            : null;

        var decided = plan(new AccountToRelease(row.Agent, row.Snapshot(now),
            [.. waiters.Select(w => new WaitingTask(w.TaskId, DateTime.SpecifyKind(w.Since, DateTimeKind.Utc), w.OnLimit, w.Capped))], probe));

        await connection.ExecuteAsync(new CommandDefinition(AccountRows.UpdateStatus, AccountRows.StatusParameters(account, decided.Status, now),
            transaction, cancellationToken: cancellationToken));
        foreach (var release in decided.Releases)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE account_waiters SET released_at = @now, release_at = @at, probe = @probe, sent_at = NULL
                WHERE account = @account AND task_id = @task
                """, new { account, task = release.TaskId, now = Pg.TimestampTz(now), at = Pg.TimestampTz(release.At), probe = release.Probe },
                transaction, cancellationToken: cancellationToken));
        }

        if (decided.EpisodeEnded)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE account_blocks SET released_at = @now WHERE id = (SELECT max(id) FROM account_blocks WHERE account = @account)
                """, new { account, now = Pg.TimestampTz(now) }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return decided;
    }

    /// <summary>
    /// What the probe's task has done since it was chosen: its attempt on the account runs, or ended (a limit failure counts
    /// as running for a few seconds, until its signal is recorded and blocks the account again; a limit failure whose signal
    /// never came proves nothing), or it has not started and still waits for it, or it left.
    /// </summary>
    static async Task<ProbeOutcome> ProbeOutcomeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string account, Guid probeTask,
        DateTime probeSince, DateTime now, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<ProbeRow>(new CommandDefinition("""
            SELECT t.lease_account = @account AND t.lease_id IS NOT NULL AS Leased,
                   t.state IN ('Dispatched', 'Running', 'RetryScheduled', 'Paused') AS Active,
                   EXISTS (SELECT 1 FROM account_waiters w WHERE w.task_id = t.id AND w.account = @account) AS Waiting,
                   a.finished_at AS FinishedAt, a.error_class AS ErrorClass
            FROM tasks t
            LEFT JOIN LATERAL (SELECT finished_at, error_class FROM task_attempts
                               WHERE task_id = t.id AND account = @account AND started_at >= @since
                               ORDER BY number DESC LIMIT 1) a ON true
            WHERE t.id = @task
            """, new { account, task = probeTask, since = Pg.TimestampTz(probeSince) }, transaction, cancellationToken: cancellationToken));
        return row switch
        {
            null => ProbeOutcome.Lost,
            { Leased: true } => ProbeOutcome.Running,
            { FinishedAt: { } finished, ErrorClass: Contracts.ErrorClasses.RateLimited } =>
                now - DateTime.SpecifyKind(finished, DateTimeKind.Utc) < SignalGrace ? ProbeOutcome.Running : ProbeOutcome.Lost,
            { FinishedAt: not null } => ProbeOutcome.EndedWithoutSignal,
            { Active: true, Waiting: true } => ProbeOutcome.Pending,
            _ => ProbeOutcome.Lost,
        };
    }

    /// <summary>How long a probe that failed on a limit is taken as running, for its signal to reach the account.</summary>
    static readonly TimeSpan SignalGrace = TimeSpan.FromSeconds(10);

    public async Task<IReadOnlyList<DueRelease>> TakeDueReleasesAsync(DateTime now, TimeSpan resendAfter, TimeSpan reservationHold,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM account_waiters w
            WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = w.task_id AND t.hold_account = w.account)
              AND (w.released_at IS NULL OR w.released_at < @reservedSince)
            """, new { reservedSince = Pg.TimestampTz(now - reservationHold) }, cancellationToken: cancellationToken));
        var due = await connection.QueryAsync<DueRow>(new CommandDefinition("""
            UPDATE account_waiters w SET sent_at = @now
            FROM tasks t
            WHERE t.id = w.task_id AND t.hold_account = w.account AND w.release_at <= @now
              AND (w.sent_at IS NULL OR w.sent_at < @resendBefore)
            RETURNING w.task_id AS TaskId, w.account AS Account, w.probe AS Probe
            """, new { now = Pg.TimestampTz(now), resendBefore = Pg.TimestampTz(now - resendAfter) }, cancellationToken: cancellationToken));
        return due.Select(d => new DueRelease(d.TaskId, d.Account, d.Probe)).ToList();
    }

    sealed class ProbeRow
    {
        public bool? Leased { get; set; }

        public bool Active { get; set; }

        public bool Waiting { get; set; }

        public DateTime? FinishedAt { get; set; }

        public string? ErrorClass { get; set; }
    }

    sealed class DueRow
    {
        public Guid TaskId { get; set; }

        public string Account { get; set; } = "";

        public bool Probe { get; set; }
    }

    sealed class AccountRow : AccountRows.Status
    {
        public new const string Columns = $"""
            {AccountRows.Status.Columns},
            a.last_signal->>'evidence' AS LastEvidence, (a.last_signal->>'at')::timestamptz AS LastSignalAt,
            (SELECT count(*) FROM account_blocks b WHERE b.account = a.id)::int AS Blocks, a.updated_at AS UpdatedAt,
            (SELECT count(*) FROM tasks t WHERE t.lease_account = a.id AND t.lease_id IS NOT NULL)::int AS Running,
            (SELECT count(*) FROM tasks t WHERE t.hold_account = a.id)::int AS Waiting,
            (SELECT coalesce(sum(s.value), 0) FROM (SELECT value FROM metric_totals WHERE family = 'supervisor_attempts_started_while_blocked_total' AND agent = a.id
                                                    UNION ALL
                                                    SELECT value FROM metric_deltas WHERE family = 'supervisor_attempts_started_while_blocked_total' AND agent = a.id) AS s
            )::int AS StartedWhileBlocked
            """;

        public string? LastEvidence { get; set; }

        public DateTime? LastSignalAt { get; set; }

        public int Waiting { get; set; }

        public int StartedWhileBlocked { get; set; }

        public int Blocks { get; set; }

        public DateTime UpdatedAt { get; set; }

        public AccountRecord ToRecord() =>
            new(Id, Agent, ToStatus(), LastEvidence, AccountRows.Utc(LastSignalAt), Blocks, AccountRows.Utc(UpdatedAt)!.Value, Running, Waiting,
                StartedWhileBlocked, new AccountSpend(SpentToday, SpentMonth, DailyBudgetUsd, MonthlyBudgetUsd));
    }
}
