using System.Collections.Concurrent;
using MassTransit;
using Npgsql;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Scheduling;

/// <summary>
/// Another application on the stack's virtual host: a bus whose scheduler is the service's <c>scheduler</c> queue, with a
/// receive endpoint of its own that records every <see cref="ScheduledPing"/> delivered to it.
/// </summary>
sealed class SchedulingClient : IAsyncDisposable
{
    public static readonly Uri SchedulerQueue = new("queue:scheduler");

    /// <summary>Service configuration for these tests: the scheduler's debug log in the service's log file.</summary>
    public static readonly IReadOnlyDictionary<string, string> ServiceConfig = new Dictionary<string, string>
    {
        ["Serilog__MinimumLevel__Override__Supervisor.Service.Scheduling"] = "Debug",
    };

    readonly IBusControl _bus;
    readonly ConcurrentQueue<Delivery> _deliveries;
    readonly string _postgres;

    SchedulingClient(IBusControl bus, Uri address, ConcurrentQueue<Delivery> deliveries, string postgres)
    {
        _bus = bus;
        _deliveries = deliveries;
        _postgres = postgres;
        Address = address;
        Scheduler = bus.CreateMessageScheduler(SchedulerQueue);
    }

    /// <summary>The address of this client's receive endpoint: the destination to schedule to.</summary>
    public Uri Address { get; }

    public IMessageScheduler Scheduler { get; }

    /// <param name="resources">The stack's database and virtual host.</param>
    /// <param name="failFirst">How many deliveries of each ping throw before one succeeds.</param>
    /// <param name="configure">Endpoint policy, e.g. <c>UseScheduledRedelivery</c>.</param>
    public static async Task<SchedulingClient> StartAsync(IsolatedResources resources, int failFirst = 0,
        Action<IReceiveEndpointConfigurator>? configure = null)
    {
        var deliveries = new ConcurrentQueue<Delivery>();
        Uri? address = null;
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(resources.RabbitMq));
            cfg.UseMessageScheduler(SchedulerQueue);
            cfg.ReceiveEndpoint($"scheduling-test-{Guid.NewGuid():N}", e =>
            {
                address = e.InputAddress;
                configure?.Invoke(e);
                e.Handler<ScheduledPing>(context =>
                {
                    var delivery = new Delivery(context.Message, context.MessageId, context.GetOriginalMessageId(), context.CorrelationId,
                        DateTime.UtcNow, context.GetRedeliveryCount(),
                        context.Headers.GetAll().ToDictionary(h => h.Key, h => h.Value));
                    deliveries.Enqueue(delivery);
                    if (deliveries.Count(d => d.Message.Id == context.Message.Id) <= failFirst)
                        throw new InvalidOperationException($"delivery {delivery.RedeliveryCount} fails on purpose");
                    return Task.CompletedTask;
                });
            });
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await bus.StartAsync(timeout.Token);
        return new SchedulingClient(bus, address!, deliveries, resources.Postgres);
    }

    /// <summary>Sends a scheduler command as any MassTransit application would, without <see cref="Scheduler"/>'s help.</summary>
    public async Task SendToSchedulerAsync<T>(T command)
        where T : class
    {
        var endpoint = await _bus.GetSendEndpoint(SchedulerQueue);
        await endpoint.Send(command);
    }

    public IReadOnlyList<Delivery> DeliveriesOf(Guid pingId) => [.. _deliveries.Where(d => d.Message.Id == pingId)];

    /// <summary>Waits until each of <paramref name="pingIds"/> has had at least <paramref name="each"/> deliveries.</summary>
    public async Task WaitForAsync(IReadOnlyCollection<Guid> pingIds, TimeSpan timeout, int each = 1)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (pingIds.Any(id => DeliveriesOf(id).Count < each))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"{pingIds.Count(id => DeliveriesOf(id).Count < each)} of {pingIds.Count} pings had fewer than {each} deliveries after {timeout}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the service has stored the job of <paramref name="tokenId"/> in Quartz's tables.</summary>
    public async Task WaitUntilStoredAsync(Guid tokenId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await IsStoredAsync(tokenId))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the scheduler did not store {tokenId} within 10 s");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the job store no longer lists a firing of <paramref name="tokenId"/>'s job in progress (its end is recorded).</summary>
    public async Task WaitUntilFiringEndedAsync(Guid tokenId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await using (var connection = new NpgsqlConnection(_postgres))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT count(*) FROM qrtz_fired_triggers WHERE job_name = $1", connection)
                {
                    Parameters = { new NpgsqlParameter { Value = tokenId.ToString("N") } },
                };
                if ((long)(await command.ExecuteScalarAsync())! == 0)
                    return;
            }

            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the scheduler did not record the end of {tokenId}'s firing within 30 s");
            await Task.Delay(50);
        }
    }

    public async Task<bool> IsStoredAsync(Guid tokenId)
    {
        await using var connection = new NpgsqlConnection(_postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM qrtz_job_details WHERE job_name = $1", connection)
        {
            Parameters = { new NpgsqlParameter { Value = tokenId.ToString("N") } },
        };
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }

    public async ValueTask DisposeAsync() => await _bus.StopAsync();

    public sealed record Delivery(ScheduledPing Message, Guid? MessageId, Guid? OriginalMessageId, Guid? CorrelationId, DateTime At,
        int RedeliveryCount, IReadOnlyDictionary<string, object> Headers);
}
