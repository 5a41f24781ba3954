using Xunit.Abstractions;

namespace Supervisor.IntegrationTests.FaultInjection;

[Collection(FaultInjectionCollection.Name)]
public sealed class RestartingServices(ITestOutputHelper output)
{
    [RestartsServicesFact]
    public async Task Restarting_PostgreSQL_under_load_loses_and_duplicates_nothing()
    {
        await using var run = await LoadRun.StartAsync("fault_postgres", output);
        await run.WaitForSucceededAsync(60);

        run.Log("restarting PostgreSQL");
        await SharedServices.RestartAsync("postgres");
        run.Log("PostgreSQL restarted");

        await run.AssertAllSettledCorrectlyAsync();
    }

    [RestartsServicesFact]
    public async Task Restarting_RabbitMQ_under_load_loses_and_duplicates_nothing()
    {
        await using var run = await LoadRun.StartAsync("fault_rabbitmq", output);
        await run.WaitForSucceededAsync(60);

        run.Log("restarting RabbitMQ");
        await SharedServices.RestartAsync("rabbitmq");
        run.Log("RabbitMQ restarted");

        await run.AssertAllSettledCorrectlyAsync();
    }
}
