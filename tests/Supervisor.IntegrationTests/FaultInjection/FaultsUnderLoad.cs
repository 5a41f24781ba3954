using Xunit.Abstractions;

namespace Supervisor.IntegrationTests.FaultInjection;

[Collection(FaultInjectionCollection.Name)]
public sealed class FaultsUnderLoad(ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_a_worker_with_kill_9_under_load_loses_and_duplicates_nothing()
    {
        await using var run = await LoadRun.StartAsync("fault_worker", output);
        await run.WaitForSucceededAsync(LoadRun.FaultAfter);

        var victim = run.Stack.Workers[0];
        await victim.KillAsync();
        run.Log($"kill -9 worker {victim.Name} (pid {victim.Pid})");

        await run.AssertAllSettledCorrectlyAsync();
    }

    [Fact]
    public async Task Restarting_the_service_under_load_loses_and_duplicates_nothing()
    {
        await using var run = await LoadRun.StartAsync("fault_service", output);
        await run.WaitForSucceededAsync(LoadRun.FaultAfter);

        var service = run.Stack.Services[0];
        await service.KillAsync();
        run.Log($"kill -9 service (pid {service.Pid})");
        await Task.Delay(TimeSpan.FromSeconds(2));
        await run.Stack.RestartServiceAsync(service);
        run.Log("service restarted");

        await run.AssertAllSettledCorrectlyAsync();
    }
}
