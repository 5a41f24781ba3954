using Supervisor.IntegrationTests.FaultInjection;
using Supervisor.IntegrationTests.Infrastructure;
using Supervisor.Worker.Containers;

namespace Supervisor.IntegrationTests.Containers;

/// <summary>
/// The Docker engine stops in the middle of an attempt and stays away for a while (its dockerd really stops). It runs
/// alone, with the fault tests: the PostgreSQL and RabbitMQ containers every test shares stop with the engine too (it
/// starts them again when it is back).
/// </summary>
[Collection(FaultInjectionCollection.Name)]
public sealed class EngineOutage(ContainerFixture fixture) : IClassFixture<ContainerFixture>
{
    readonly ApiClient _api = fixture.Stack.Api;

    [Fact]
    public async Task While_the_engine_is_stopped_attempts_are_ContainerCrash_and_retried_and_the_task_completes_once_it_is_back()
    {
        const string prompt = """if [ "$SUPERVISOR_ATTEMPT" = 1 ]; then echo waiting; sleep 120; fi; echo done""";
        var id = await _api.SubmitAsync(new { prompt, agent = "patient" });
        await WaitUntilAsync(async () => (await _api.LogsAsync(id)).Any(c => c!["text"]!.GetValue<string>().Contains("waiting", StringComparison.Ordinal)),
            "the first attempt to run");

        try
        {
            await DockerEngine.StopAsync();
            using (var docker = DockerConnection.FromEnvironment())
                Assert.True(EngineErrors.IsFailure(await Assert.ThrowsAnyAsync<Exception>(() => docker.System.PingAsync()), CancellationToken.None));
            // The running attempt ends with the engine, and the next one finds no engine at all.
            await WaitUntilAsync(async () => (await _api.GetAsync(id))["attempts"]!.AsArray().Count(a => a!["errorClass"] is not null) >= 2,
                "two attempts to fail while the engine is stopped");
        }
        finally
        {
            await DockerEngine.StartAsync();
        }

        var task = await _api.WaitForAsync(id, TimeSpan.FromSeconds(90));

        Assert.True(IsolatedAttempts.State(task) == "Succeeded", task.ToJsonString());
        var attempts = task["attempts"]!.AsArray();
        Assert.All(attempts.Take(attempts.Count - 1), a => Assert.Equal("ContainerCrash", a!["errorClass"]!.GetValue<string>()));
        Assert.Contains(attempts, a => a!["message"]?.GetValue<string>().Contains("is unreachable", StringComparison.Ordinal) == true);
        Assert.Null(attempts[^1]!["errorClass"]);
        Assert.Contains("done", task["result"]!["summary"]!.GetValue<string>());
        await DockerEngine.AssertNoContainerLeftAsync(id);
    }

    static async Task<bool> Holds(Func<Task<bool>> condition)
    {
        try
        {
            return await condition();
        }
        catch (HttpRequestException)
        {
            // The task is not recorded yet.
            return false;
        }
    }

    static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await Holds(condition))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"waited 60 s for {what}");
            await Task.Delay(200);
        }
    }
}
