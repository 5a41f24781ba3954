using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Supervisor.Worker.Containers;

/// <summary>The engine calls of the worker whose "not there" answers are outcomes, not failures.</summary>
static class DockerClientExtensions
{
    /// <summary>False when the engine does not have the image.</summary>
    public static async Task<bool> ImageExistsAsync(this IDockerClient docker, string image, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Images.InspectImageAsync(image, cancellationToken);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Sends SIGKILL; false when the container was not running (any more).</summary>
    public static async Task<bool> KillIfRunningAsync(this IDockerClient docker, string id, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Containers.KillContainerAsync(id, new ContainerKillParameters { Signal = "KILL" }, cancellationToken);
            return true;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    /// <summary>The container's state, or null when it does not exist.</summary>
    public static async Task<State?> StateAsync(this IDockerClient docker, string id, CancellationToken cancellationToken)
    {
        try
        {
            return (await docker.Containers.InspectContainerAsync(id, cancellationToken)).State;
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Removes the container, killing it first, with its anonymous volumes; false when it was already gone.</summary>
    public static async Task<bool> RemoveIfExistsAsync(this IDockerClient docker, string id, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken);
            return true;
        }
        catch (DockerContainerNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// The container's stdout and stderr from its start (the engine keeps them all); with <paramref name="follow"/>, on
    /// until the container stops.
    /// </summary>
    public static Task<MultiplexedStream> LogsAsync(this IDockerClient docker, string id, bool follow, CancellationToken cancellationToken) =>
        docker.Containers.GetContainerLogsAsync(id, new ContainerLogsParameters { Follow = follow, ShowStdout = true, ShowStderr = true },
            cancellationToken);
}
