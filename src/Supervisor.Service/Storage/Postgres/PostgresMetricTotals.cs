using Dapper;
using Npgsql;

namespace Supervisor.Service.Storage.Postgres;

/// <summary>
/// The running totals that triggers keep for <c>GET /metrics</c> (migration 0004): reads them, and folds the deltas
/// that writers append into the totals so that the deltas stay few.
/// </summary>
sealed partial class PostgresMetricTotals(NpgsqlDataSource db, ILogger<PostgresMetricTotals> logger) : BackgroundService, IMetricTotals
{
    static readonly TimeSpan FoldEvery = TimeSpan.FromSeconds(5);
    const long FoldLockKey = 0x5375_7065_7277; // one folder at a time across service instances

    /// <summary>Every total, with the deltas not yet folded added in (one statement, so one consistent snapshot).</summary>
    public async Task<IReadOnlyList<MetricSeries>> ReadAsync(CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT family, agent, label, sum(value)
            FROM (SELECT family, agent, label, value FROM metric_totals
                  UNION ALL
                  SELECT family, agent, label, value FROM metric_deltas) AS s
            GROUP BY 1, 2, 3
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var series = new List<MetricSeries>();
        while (await reader.ReadAsync(cancellationToken))
            series.Add(new MetricSeries(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetDouble(3)));
        return series;
    }

    /// <summary>A histogram's bucket bounds, as the triggers use them.</summary>
    public async Task<double[]> BoundsAsync(string family, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return (await connection.ExecuteScalarAsync<double[]>(
            new CommandDefinition("SELECT metric_bounds(@family)", new { family }, cancellationToken: cancellationToken)))!;
    }

    /// <summary>Moves the deltas into the totals, unless another instance is doing so.</summary>
    async Task FoldAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_try_advisory_xact_lock({FoldLockKey})", connection, tx))
        {
            if (!(bool)(await lockCommand.ExecuteScalarAsync(cancellationToken))!)
                return;
        }

        await using var fold = new NpgsqlCommand("""
            WITH moved AS (DELETE FROM metric_deltas RETURNING family, agent, label, value)
            INSERT INTO metric_totals (family, agent, label, value)
            SELECT family, agent, label, sum(value) FROM moved GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (family, agent, label) DO UPDATE SET value = metric_totals.value + excluded.value
            """, connection, tx);
        await fold.ExecuteNonQueryAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FoldEvery);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await FoldAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The deltas stay where they are and a scrape still counts them; the next tick folds them.
                LogFoldFailed(e.Message);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not fold metric deltas into their totals (next try in 5 s): {Reason}")]
    partial void LogFoldFailed(string reason);
}
