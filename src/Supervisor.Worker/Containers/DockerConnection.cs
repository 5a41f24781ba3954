using System.Globalization;
using Docker.DotNet;

namespace Supervisor.Worker.Containers;

/// <summary>
/// The worker's Docker Engine client (Docker.DotNet), for the engine <c>DOCKER_HOST</c> names as the docker CLI reads it:
/// <c>unix:///path</c> or <c>tcp://host:port</c> (plain HTTP; TLS is not supported); without it, the current docker
/// context, else <c>unix:///var/run/docker.sock</c>. Building the client connects to nothing.
/// </summary>
public static class DockerConnection
{
    /// <summary>
    /// Default bound on every request that is not a stream (the wait for a container's exit and its logs have none: the
    /// attempt's timeout bounds them); the worker's is <c>Supervisor:Worker:EngineCallTimeout</c>.
    /// </summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>From <c>DOCKER_HOST</c> and <c>DOCKER_API_VERSION</c>, the variables the docker CLI reads.</summary>
    public static IDockerClient FromEnvironment(TimeSpan? requestTimeout = null) =>
        Create(Environment.GetEnvironmentVariable("DOCKER_HOST"), Environment.GetEnvironmentVariable("DOCKER_API_VERSION"), requestTimeout);

    /// <summary>
    /// A client of the engine at <paramref name="dockerHost"/>. Without <paramref name="apiVersion"/> requests carry no
    /// version, and the engine answers in its own (1.41 for Debian 12's Docker 20.10): the library's models are of a
    /// newer API, whose added fields an older engine ignores.
    /// </summary>
    public static IDockerClient Create(string? dockerHost, string? apiVersion = null, TimeSpan? requestTimeout = null)
    {
        var builder = new DockerClientBuilder().WithTimeout(requestTimeout ?? RequestTimeout);
        if (!string.IsNullOrWhiteSpace(dockerHost))
            builder = builder.WithEndpoint(Endpoint(dockerHost));
        if (!string.IsNullOrWhiteSpace(apiVersion))
            builder = builder.WithApiVersion(Version.Parse(apiVersion.Trim().TrimStart('v')));
        return builder.Build();
    }

    /// <summary>
    /// The engine's address, refused when no attempt could use it (a relative socket path, ssh, npipe), so that the worker
    /// says so at start rather than failing every attempt.
    /// </summary>
    public static Uri Endpoint(string dockerHost)
    {
        ArgumentNullException.ThrowIfNull(dockerHost);
        var address = dockerHost.Trim();
        if (Uri.TryCreate(address, UriKind.Absolute, out var uri)
            && ((uri.Scheme == "unix" && uri.Host.Length == 0 && uri.AbsolutePath.Length > 1)
                || (uri.Scheme == "tcp" && uri.Host.Length > 0 && uri.AbsolutePath == "/")))
        {
            return uri;
        }

        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"DOCKER_HOST '{address}' is not supported: use unix:///path/to/docker.sock or tcp://host:port."),
            nameof(dockerHost));
    }
}
