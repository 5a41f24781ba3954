using Supervisor.IntegrationTests.Infrastructure;
using Supervisor.Worker.Containers;

namespace Supervisor.IntegrationTests.Containers;

/// <summary>
/// The Docker engine goes away in the middle of an attempt and stays away for a while: the worker's connections to it
/// are cut and new ones refused (<see cref="EngineSocketCut"/>). Stopping the real engine would also stop the
/// PostgreSQL and RabbitMQ containers the stack itself runs on, so the cut is between this worker and the engine.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class EngineOutage
{
    [Fact]
    public async Task While_the_engine_is_unreachable_attempts_are_ContainerCrash_and_retried_and_the_task_completes_once_it_is_back()
    {
        await using var engine = EngineSocketCut.Open();
        var config = new Dictionary<string, string>();
        // retries spread over half a minute, to outlive the cut
        ContainerFixture.AddAgent(config, "patient", "00:00:01", "00:00:02", "00:00:04", "00:00:08", "00:00:16");
        await using var stack = await SupervisorStack.StartAsync("engine_outage", config, services: 1);
        await stack.AddWorkerAsync("patient", new Dictionary<string, string> { ["DOCKER_HOST"] = engine.DockerHost });
        var api = stack.Api;

        const string prompt = """if [ "$SUPERVISOR_ATTEMPT" = 1 ]; then echo waiting; sleep 120; fi; echo done""";
        var id = await api.SubmitAsync(new { prompt, agent = "patient" });
        await WaitUntilAsync(async () => (await api.LogsAsync(id)).Any(c => c!["text"]!.GetValue<string>().Contains("waiting", StringComparison.Ordinal)),
            "the first attempt to run");

        try
        {
            await engine.CutAsync();
            using (var docker = DockerConnection.Create(engine.DockerHost))
                Assert.True(EngineErrors.IsFailure(await Assert.ThrowsAnyAsync<Exception>(() => docker.System.PingAsync()), CancellationToken.None));
            // The running attempt loses its engine, and the next one finds no engine at all.
            await WaitUntilAsync(async () => (await api.GetAsync(id))["attempts"]!.AsArray().Count(a => a!["errorClass"] is not null) >= 2,
                "two attempts to fail while the engine is unreachable");
        }
        finally
        {
            engine.Restore();
        }

        var task = await api.WaitForAsync(id, TimeSpan.FromSeconds(90));

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
