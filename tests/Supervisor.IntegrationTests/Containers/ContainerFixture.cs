using System.Globalization;
using Supervisor.IntegrationTests.Infrastructure;
using Supervisor.Worker.Containers;

namespace Supervisor.IntegrationTests.Containers;

/// <summary>
/// The real Docker engine, the busybox test image, and a Supervisor stack whose agents run every attempt in a
/// container of that image: <c>boxed</c> (64 MB, 64 pids, quick retries), served by one worker with a variable of its
/// own that must never reach an agent.
/// </summary>
public sealed class ContainerFixture : IAsyncLifetime
{
    public const string WorkerOnlyVariable = "SUPERVISOR_TEST_WORKER_ONLY";

    readonly DateTimeOffset _started = DateTimeOffset.UtcNow;

    internal SupervisorStack Stack { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await DockerEngine.EnsureAsync();
        var config = new Dictionary<string, string>();
        AddAgent(config, "boxed", "00:00:00.5", "00:00:00.5");
        Stack = await SupervisorStack.StartAsync("containers", config, services: 1);
        await Stack.AddWorkerAsync("boxed", new Dictionary<string, string> { [WorkerOnlyVariable] = "must-not-leak" });
    }

    /// <summary>An agent running <c>sh -c {prompt}</c> in a container of the test image, retried at these intervals.</summary>
    internal static void AddAgent(Dictionary<string, string> config, string name, params string[] intervals)
    {
        var key = $"Supervisor__Agents__{name}__";
        config[key + "Command"] = "/bin/sh";
        config[key + "Args__0"] = "-c";
        config[key + "Args__1"] = "{prompt}";
        config[key + "Isolation"] = "container";
        config[key + "Image"] = DockerEngine.TestImage;
        config[key + "Env__BOXED_MARK"] = "configured";
        config[key + "Container__MemoryMb"] = "64";
        config[key + "Container__PidsLimit"] = "64";
        config[key + "Container__Cpus"] = "1";
        config[key + "Concurrency"] = "2";
        config[key + "TimeoutSeconds"] = "60";
        config[key + "Retry__Jitter"] = "0";
        for (var i = 0; i < intervals.Length; i++)
            config[key + "Retry__Intervals__" + i.ToString(CultureInfo.InvariantCulture)] = intervals[i];
    }

    /// <summary>Besides each test's own check: no attempt container created while these tests ran may outlive them.</summary>
    public async Task DisposeAsync()
    {
        await Stack.DisposeAsync();
        using var docker = DockerConnection.FromEnvironment();
        var left = (await docker.Containers.ListContainersAsync(ContainerRequests.Labelled(ContainerRequests.TaskLabel)))
            .Where(c => c.Created >= _started.UtcDateTime.AddSeconds(-1)).ToList();
        if (left.Count > 0)
            throw new InvalidOperationException($"attempt containers left behind: {string.Join(", ", left.Select(c => $"{c.Names?.FirstOrDefault() ?? c.ID} ({c.State})"))}");
    }
}

/// <summary>Every test that runs attempts in containers, on the one stack of <see cref="ContainerFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class ContainerCollection : ICollectionFixture<ContainerFixture>
{
    public const string Name = "containers";
}
