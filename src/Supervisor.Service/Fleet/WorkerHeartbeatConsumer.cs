using System.Text.Json;
using MassTransit;
using Npgsql;
using NpgsqlTypes;
using Supervisor.Contracts;

namespace Supervisor.Service.Fleet;

/// <summary>Keeps the latest heartbeat of each worker; an older heartbeat arriving late never overwrites a newer one.</summary>
public sealed class WorkerHeartbeatConsumer(NpgsqlDataSource dataSource) : IConsumer<WorkerHeartbeat>
{
    public async Task Consume(ConsumeContext<WorkerHeartbeat> context)
    {
        var beat = context.Message;
        await using var command = dataSource.CreateCommand("""
            INSERT INTO workers (id, host, agents, running, capacity, stopping, last_heartbeat)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, agents = EXCLUDED.agents, running = EXCLUDED.running,
                capacity = EXCLUDED.capacity, stopping = EXCLUDED.stopping, last_heartbeat = EXCLUDED.last_heartbeat
            WHERE workers.last_heartbeat <= EXCLUDED.last_heartbeat
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = beat.WorkerId });
        command.Parameters.Add(new NpgsqlParameter { Value = beat.Host });
        command.Parameters.Add(new NpgsqlParameter { Value = beat.Agents.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(beat.Running, JsonSerializerOptions.Web), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter { Value = beat.Capacity });
        command.Parameters.Add(new NpgsqlParameter { Value = beat.Stopping });
        command.Parameters.Add(new NpgsqlParameter { Value = beat.At, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await command.ExecuteNonQueryAsync(context.CancellationToken);
    }
}

public sealed class WorkerHeartbeatConsumerDefinition : ConsumerDefinition<WorkerHeartbeatConsumer>
{
    public WorkerHeartbeatConsumerDefinition()
    {
        EndpointName = "worker-heartbeats";
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<WorkerHeartbeatConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(r => r.Exponential(10, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500)));
}
