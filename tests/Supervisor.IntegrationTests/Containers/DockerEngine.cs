using Docker.DotNet.Models;
using Supervisor.Worker.Containers;

namespace Supervisor.IntegrationTests.Containers;

/// <summary>The real Docker engine of scripts/services.sh and the images of scripts/images.sh.</summary>
static class DockerEngine
{
    public const string TestImage = "supervisor-test-base:1";

    /// <summary>Starts the engine when it is not running (idempotent) and builds the test image when it is missing.</summary>
    public static async Task EnsureAsync()
    {
        await RepositoryScripts.RunAsync("services.sh", "docker", "up");
        await RepositoryScripts.RunAsync("images.sh", "test-base");
    }

    /// <summary>Containers of the task, running or not: after any attempt there must be none.</summary>
    public static async Task<IList<ContainerListResponse>> ContainersOfTaskAsync(Guid taskId)
    {
        using var docker = DockerConnection.FromEnvironment();
        return await docker.Containers.ListContainersAsync(ContainerRequests.Labelled($"{ContainerRequests.TaskLabel}={taskId}"));
    }

    public static async Task AssertNoContainerLeftAsync(Guid taskId)
    {
        var left = await ContainersOfTaskAsync(taskId);
        Assert.True(left.Count == 0, $"containers of task {taskId} left behind: {string.Join(", ", left.Select(c => $"{c.Names?.FirstOrDefault() ?? c.ID} ({c.State})"))}");
    }
}
