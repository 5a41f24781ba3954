using System.Text.Json;
using Dapper;
using Npgsql;
using Supervisor.Rules.Limits;

namespace Supervisor.Service.Storage.Postgres;

/// <summary><c>accounts</c> and <c>account_blocks</c> (Migrations/0011_accounts.sql), with plain SQL.</summary>
sealed class PostgresAccountStore(NpgsqlDataSource dataSource) : IAccountStore
{
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

        var snapshot = new AccountSnapshot { Id = signal.Account, Status = row.Status(), Running = 0, Reserved = 0, Now = now };
        var outcome = LimitPlanner.OnSignal(snapshot, signal.Signal, signal.ObservedAt, limits);
        var status = outcome.Status;
        var evidence = new { kind = LimitNames.Of(signal.Signal.Kind), evidence = signal.Signal.Evidence, at = now, worker = signal.Worker, taskId = signal.TaskId };
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE accounts SET state = @state, kind = @kind, blocked_until = @until, block_since = @since, last_signal = @signal, updated_at = @now
            WHERE id = @id
            """, new
        {
            id = signal.Account,
            state = LimitNames.Of(status.State),
            kind = status.Kind is { } kind ? LimitNames.Of(kind) : null,
            until = Pg.TimestampTz(status.BlockedUntil),
            since = Pg.TimestampTz(status.BlockSince),
            signal = Pg.Jsonb(JsonSerializer.Serialize(evidence, JsonSerializerOptions.Web)),
            now = Pg.TimestampTz(now),
        }, transaction, cancellationToken: cancellationToken));

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

    public async Task<IReadOnlyList<AccountRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AccountRow>(new CommandDefinition($"""
            SELECT {AccountRow.Columns} FROM accounts a ORDER BY a.id
            """, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    sealed class AccountRow
    {
        public const string Columns = """
            a.id AS Id, a.agent AS Agent, a.state AS State, a.kind AS Kind, a.blocked_until AS BlockedUntil, a.block_since AS BlockSince,
            a.last_signal->>'evidence' AS LastEvidence, (a.last_signal->>'at')::timestamptz AS LastSignalAt,
            (SELECT count(*) FROM account_blocks b WHERE b.account = a.id)::int AS Blocks, a.updated_at AS UpdatedAt
            """;

        public string Id { get; set; } = "";

        public string Agent { get; set; } = "";

        public string State { get; set; } = "ok";

        public string? Kind { get; set; }

        public DateTime? BlockedUntil { get; set; }

        public DateTime? BlockSince { get; set; }

        public string? LastEvidence { get; set; }

        public DateTime? LastSignalAt { get; set; }

        public int Blocks { get; set; }

        public DateTime UpdatedAt { get; set; }

        public AccountStatus Status() => new(LimitNames.State(State), Kind is null ? null : LimitNames.Kind(Kind), Utc(BlockedUntil), Utc(BlockSince), null, null);

        public AccountRecord ToRecord() => new(Id, Agent, Status(), LastEvidence, Utc(LastSignalAt), Blocks, Utc(UpdatedAt)!.Value);

        static DateTime? Utc(DateTime? at) => at is { } value ? DateTime.SpecifyKind(value, DateTimeKind.Utc) : null;
    }
}
