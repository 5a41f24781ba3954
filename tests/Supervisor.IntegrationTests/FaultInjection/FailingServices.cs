using Supervisor.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Supervisor.IntegrationTests.FaultInjection;

/// <summary>
/// PostgreSQL and RabbitMQ stopped, killed and frozen under load. Each test runs on containers of its own (the other
/// tests' stacks never notice), bound to fixed host ports so that the services come back at the same address.
/// </summary>
[Collection(FaultInjectionCollection.Name)]
public sealed class FailingServices(ITestOutputHelper output)
{
    [Fact]
    public async Task Restarting_PostgreSQL_under_load_loses_and_duplicates_nothing()
    {
        await using var services = await ServiceContainers.StartAsync("fault_postgres");
        await using var run = await LoadRun.StartAsync("fault_postgres", output, services);
        await run.WaitForSucceededAsync(LoadRun.FaultAfter);

        run.Log("restarting PostgreSQL (docker stop, docker start)");
        await ServiceContainers.RestartAsync(services.Postgres);
        run.Log("PostgreSQL restarted");

        await run.AssertAllSettledCorrectlyAsync();
    }

    [Fact]
    public async Task Restarting_RabbitMQ_under_load_loses_and_duplicates_nothing()
    {
        await using var services = await ServiceContainers.StartAsync("fault_rabbitmq");
        await using var run = await LoadRun.StartAsync("fault_rabbitmq", output, services);
        await run.WaitForSucceededAsync(LoadRun.FaultAfter);

        run.Log("restarting RabbitMQ (docker stop, docker start)");
        await ServiceContainers.RestartAsync(services.RabbitMq);
        run.Log("RabbitMQ restarted");

        await run.AssertAllSettledCorrectlyAsync();
    }

    [Fact]
    public async Task Killing_PostgreSQL_with_kill_9_under_load_loses_and_duplicates_nothing()
    {
        await using var services = await ServiceContainers.StartAsync("fault_postgres_kill");
        await using var run = await LoadRun.StartAsync("fault_postgres_kill", output, services);
        await run.WaitForSucceededAsync(LoadRun.FaultAfter);

        run.Log("killing PostgreSQL (docker kill -s KILL), then docker start");
        await ServiceContainers.KillAndStartAsync(services.Postgres);
        run.Log("PostgreSQL started again");

        await run.AssertAllSettledCorrectlyAsync();
    }

    /// <summary>
    /// A killed broker loses every temporary queue, the workers' reply queues for start checks among them, and a send
    /// under way may fail on its dead channel ("Declare queue faulted"): redelivered jobs must still get their answers,
    /// and no broker fault may fail a task. Each worker asks on a fresh reply queue once its own queues are back.
    /// </summary>
    [Fact]
    public async Task Killing_RabbitMQ_with_kill_9_under_load_loses_and_duplicates_nothing()
    {
        await using var services = await ServiceContainers.StartAsync("fault_rabbitmq_kill");
        await using var run = await LoadRun.StartAsync("fault_rabbitmq_kill", output, services);
        await run.WaitForSucceededAsync(LoadRun.FaultAfter);

        run.Log("killing RabbitMQ (docker kill -s KILL), then docker start");
        await ServiceContainers.KillAndStartAsync(services.RabbitMq);
        run.Log("RabbitMQ started again");

        await run.AssertAllSettledCorrectlyAsync();
        // Each worker moved its start checks to a fresh reply queue as soon as its own queues were back (BrokerReconnects).
        foreach (var worker in run.Stack.Workers)
            Assert.Contains("The broker connection came back", await File.ReadAllTextAsync(worker.LogFile), StringComparison.Ordinal);
    }

    /// <summary>
    /// A hang, not a restart: the broker keeps every connection open but answers nothing (docker pause freezes its
    /// processes), so publishes, acknowledgements and confirms wait; then it carries on where it stopped. Frozen for
    /// longer than a worker waits for a publish's confirm (30 s) before it publishes again, and for less than the
    /// connections' heartbeat timeout (60 s), so that nothing disconnects.
    /// </summary>
    [Fact]
    public async Task Pausing_RabbitMQ_under_load_loses_and_duplicates_nothing()
    {
        await using var services = await ServiceContainers.StartAsync("fault_rabbitmq_pause");
        await using var run = await LoadRun.StartAsync("fault_rabbitmq_pause", output, services);
        await run.WaitForSucceededAsync(LoadRun.FaultAfter);

        run.Log("pausing RabbitMQ (docker pause) for 40 s");
        await services.RabbitMq.PauseAsync();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(40));
        }
        finally
        {
            await services.RabbitMq.UnpauseAsync();
        }

        run.Log("RabbitMQ unpaused");

        await run.AssertAllSettledCorrectlyAsync();
    }
}
