using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using Supervisor.Contracts;

namespace Supervisor.Service.Fleet;

public sealed record WorkerView(string Id, string Host, IReadOnlyList<string> Agents, bool Busy, int Running, int Capacity,
    IReadOnlyList<Guid> CurrentTasks, DateTime LastHeartbeat, bool Stopping, bool Lost);

/// <summary>The fleet as the workers' latest heartbeats describe it.</summary>
public sealed class FleetQueries(NpgsqlDataSource dataSource, IOptions<FleetOptions> options, TimeProvider clock)
{
    public async Task<IReadOnlyList<WorkerView>> WorkersAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var fleet = options.Value;
        await using var command = dataSource.CreateCommand(
            "SELECT id, host, agents, running, capacity, stopping, last_heartbeat FROM workers WHERE last_heartbeat > $1 ORDER BY id");
        command.Parameters.Add(new NpgsqlParameter { Value = now - fleet.ForgetAfter });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var workers = new List<WorkerView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var running = JsonSerializer.Deserialize<List<RunningAttempt>>(reader.GetString(3), JsonSerializerOptions.Web) ?? [];
            var last = DateTime.SpecifyKind(reader.GetDateTime(6), DateTimeKind.Utc);
            var stopping = reader.GetBoolean(5);
            // A worker that said goodbye is gone, not lost; one that went silent is lost.
            if (stopping && now - last > fleet.LostAfter)
                continue;
            workers.Add(new WorkerView(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<string[]>(2), running.Count > 0, running.Count,
                reader.GetInt32(4), running.Select(r => r.TaskId).Distinct().ToList(), last, stopping, now - last > fleet.LostAfter));
        }

        return workers;
    }

    /// <summary>For each given attempt that a worker's latest heartbeat reports running: that worker and heartbeat.</summary>
    public async Task<IReadOnlyDictionary<Guid, AttemptHeartbeat>> HeartbeatsAsync(IReadOnlyCollection<Guid> attempts, CancellationToken cancellationToken)
    {
        var found = new Dictionary<Guid, AttemptHeartbeat>();
        if (attempts.Count == 0)
            return found;
        await using var command = dataSource.CreateCommand("""
            SELECT (r->>'attemptId')::uuid, w.id, w.last_heartbeat, (r->>'lastOutputAt')::timestamptz
            FROM workers w, jsonb_array_elements(w.running) r
            WHERE (r->>'attemptId')::uuid = ANY($1)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = attempts.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        while (await reader.ReadAsync(cancellationToken))
        {
            var at = DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc);
            DateTime? output = reader.IsDBNull(3) ? null : DateTime.SpecifyKind(reader.GetDateTime(3), DateTimeKind.Utc);
            found[reader.GetGuid(0)] = new AttemptHeartbeat(reader.GetString(1), at, output, now - at > options.Value.LostAfter);
        }

        return found;
    }
}

public sealed record AttemptHeartbeat(string Worker, DateTime At, DateTime? LastOutputAt, bool Lost);
