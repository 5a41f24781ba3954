namespace Supervisor.Worker.Containers;

/// <summary>
/// Where the Docker engine listens, from <c>DOCKER_HOST</c> as the docker CLI reads it: <c>unix:///path</c> (default
/// <c>unix:///var/run/docker.sock</c>) or <c>tcp://host:port</c> (plain HTTP; TLS is not supported).
/// </summary>
public sealed record DockerEndpoint(string Address, string? SocketPath, Uri BaseAddress)
{
    public const string DefaultAddress = "unix:///var/run/docker.sock";

    public static DockerEndpoint FromEnvironment() => Parse(Environment.GetEnvironmentVariable("DOCKER_HOST"));

    public static DockerEndpoint Parse(string? dockerHost)
    {
        var address = string.IsNullOrWhiteSpace(dockerHost) ? DefaultAddress : dockerHost.Trim();
        if (address.StartsWith("unix://", StringComparison.Ordinal))
        {
            var path = address["unix://".Length..];
            if (path.Length == 0 || path[0] != '/')
                throw new ArgumentException($"DOCKER_HOST '{address}': a unix socket needs an absolute path (unix:///var/run/docker.sock).", nameof(dockerHost));
            // The host name is only what HTTP requests carry; the connection goes to the socket.
            return new DockerEndpoint(address, path, new Uri("http://docker.sock/"));
        }

        if (address.StartsWith("tcp://", StringComparison.Ordinal) && Uri.TryCreate("http://" + address["tcp://".Length..], UriKind.Absolute, out var tcp)
            && tcp.AbsolutePath == "/")
        {
            return new DockerEndpoint(address, null, new Uri(tcp.GetLeftPart(UriPartial.Authority) + "/"));
        }

        throw new ArgumentException($"DOCKER_HOST '{address}' is not supported: use unix:///path/to/docker.sock or tcp://host:port.", nameof(dockerHost));
    }

    public override string ToString() => Address;
}
