using MassTransit;
using Npgsql;
using NpgsqlTypes;
using Supervisor.Contracts;

namespace Supervisor.Service.Logs;

/// <summary>Stores output chunks in batches. A redelivered chunk is a no-op (its key already exists).</summary>
public sealed class AgentLogChunkConsumer(NpgsqlDataSource dataSource) : IConsumer<Batch<AgentLogChunk>>
{
    public async Task Consume(ConsumeContext<Batch<AgentLogChunk>> context)
    {
        await using var connection = await dataSource.OpenConnectionAsync(context.CancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        foreach (var chunk in context.Message.Select(m => m.Message))
        {
            var command = new NpgsqlBatchCommand(
                "INSERT INTO task_logs (task_id, attempt_id, attempt, seq, stream, text, at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING");
            command.Parameters.Add(new NpgsqlParameter { Value = chunk.TaskId, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { Value = chunk.AttemptId, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { Value = chunk.Attempt, NpgsqlDbType = NpgsqlDbType.Integer });
            command.Parameters.Add(new NpgsqlParameter { Value = chunk.Sequence, NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter { Value = chunk.Stream, NpgsqlDbType = NpgsqlDbType.Text });
            // PostgreSQL text cannot hold NUL; an agent printing binary must not poison the batch.
            command.Parameters.Add(new NpgsqlParameter { Value = chunk.Text.Replace("\0", "", StringComparison.Ordinal), NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = chunk.At, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            batch.BatchCommands.Add(command);
        }

        // Wakes whoever follows these tasks' logs (GET /api/tasks/{id}/logs?follow=true).
        foreach (var taskId in context.Message.Select(m => m.Message.TaskId).Distinct())
        {
            var notify = new NpgsqlBatchCommand($"SELECT pg_notify('{LogFollower.Channel}', $1)");
            notify.Parameters.Add(new NpgsqlParameter { Value = taskId.ToString(), NpgsqlDbType = NpgsqlDbType.Text });
            batch.BatchCommands.Add(notify);
        }

        await batch.ExecuteNonQueryAsync(context.CancellationToken);
    }
}

public sealed class AgentLogChunkConsumerDefinition : ConsumerDefinition<AgentLogChunkConsumer>
{
    public AgentLogChunkConsumerDefinition()
    {
        EndpointName = "task-logs";
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<AgentLogChunkConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 400;
        // Through a database restart (about a minute) rather than into the error queue.
        endpointConfigurator.UseMessageRetry(r => r.Exponential(15, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200)));
        consumerConfigurator.Options<BatchOptions>(o => o.SetMessageLimit(100).SetTimeLimit(TimeSpan.FromMilliseconds(50)).SetConcurrencyLimit(4));
    }
}
