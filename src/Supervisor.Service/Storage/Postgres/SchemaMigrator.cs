using Microsoft.Extensions.Options;
using Npgsql;

namespace Supervisor.Service.Storage.Postgres;

/// <summary>
/// Applies the embedded SQL migrations in name order, each once, under an advisory lock so that several
/// service instances starting together do not race. Runs before the bus starts.
/// </summary>
sealed partial class SchemaMigrator(NpgsqlDataSource dataSource, IOptions<StorageOptions> storage, ILogger<SchemaMigrator> logger) : IHostedService
{
    const long LockKey = 0x5375_7065_7276; // "Superv"

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenWithRetryAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({LockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection,
                "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                cancellationToken);
            var applied = new HashSet<string>(StringComparer.Ordinal);
            await using (var cmd = new NpgsqlCommand("SELECT name FROM schema_migrations", connection))
            await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                    applied.Add(reader.GetString(0));
            }

            var assembly = typeof(SchemaMigrator).Assembly;
            foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.EndsWith(".sql", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                var name = resource[(resource.IndexOf(".Migrations.", StringComparison.Ordinal) + ".Migrations.".Length)..];
                if (applied.Contains(name))
                    continue;
                using var stream = new StreamReader(assembly.GetManifestResourceStream(resource)!);
                var sql = await stream.ReadToEndAsync(cancellationToken);
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                await ExecuteAsync(connection, sql, cancellationToken, tx);
                await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (name) VALUES (@name)", connection, tx))
                {
                    record.Parameters.AddWithValue("name", name);
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await tx.CommitAsync(cancellationToken);
                LogApplied(name);
            }
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The database may be starting (compose start-up) or away (a service restarted during an outage): an unreachable
    /// one is waited for as long as messages wait for it (<see cref="StorageOptions.RideOutFor"/>), tried again at
    /// waits that grow to 30 s. A refusal (a wrong password, a missing database) is not waited out.
    /// </summary>
    async Task<NpgsqlConnection> OpenWithRetryAsync(CancellationToken cancellationToken)
    {
        var rideOutFor = storage.Value.RideOutFor;
        var waits = StorageRideOut.Schedule(TimeSpan.FromSeconds(1), rideOutFor);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await dataSource.OpenConnectionAsync(cancellationToken);
            }
            catch (NpgsqlException e) when (e.IsTransient && attempt <= waits.Length)
            {
                var wait = waits[attempt - 1];
                LogWaiting(attempt, e.Message, wait, rideOutFor);
                await Task.Delay(wait, cancellationToken);
            }
        }
    }

    /// <summary>
    /// No command timeout: a migration that builds an index over a long history takes as long as it takes (the default 30 s
    /// failed it at every start on 1 000 000 tasks), and so does waiting for another instance's.
    /// </summary>
    static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, NpgsqlTransaction? tx = null)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx) { CommandTimeout = 0 };
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(LogLevel.Information, "Applied migration {Name}")]
    partial void LogApplied(string name);

    [LoggerMessage(LogLevel.Warning, "Waiting for PostgreSQL (attempt {Attempt}, next in {Wait}, for up to {RideOutFor} in all): {Reason}")]
    partial void LogWaiting(int attempt, string reason, TimeSpan wait, TimeSpan rideOutFor);
}
