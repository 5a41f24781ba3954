using Supervisor.Worker.Containers;

namespace Supervisor.Tests.Containers;

public sealed class DockerEndpointSpecs
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("unix:///var/run/docker.sock")]
    public void No_address_or_the_default_one_is_the_default_socket(string? dockerHost)
    {
        var endpoint = DockerEndpoint.Parse(dockerHost);

        Assert.Equal("/var/run/docker.sock", endpoint.SocketPath);
        Assert.Equal(DockerEndpoint.DefaultAddress, endpoint.Address);
    }

    [Fact]
    public void A_tcp_address_is_plain_HTTP_to_that_host()
    {
        var endpoint = DockerEndpoint.Parse("tcp://127.0.0.1:2375");

        Assert.Null(endpoint.SocketPath);
        Assert.Equal(new Uri("http://127.0.0.1:2375/"), endpoint.BaseAddress);
    }

    [Theory]
    [InlineData("ssh://user@host")]
    [InlineData("unix://relative.sock")]
    [InlineData("npipe:////./pipe/docker_engine")]
    public void An_unsupported_address_is_refused_saying_what_is_supported(string dockerHost)
    {
        var error = Assert.Throws<ArgumentException>(() => DockerEndpoint.Parse(dockerHost));

        Assert.Contains(dockerHost, error.Message);
    }
}
