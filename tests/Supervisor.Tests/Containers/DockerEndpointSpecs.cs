using Supervisor.Worker.Containers;

namespace Supervisor.Tests.Containers;

public sealed class DockerEndpointSpecs
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("unix:///var/run/docker.sock")]
    public void Parse_NothingOrTheDefault_IsTheDefaultSocket(string? dockerHost)
    {
        var endpoint = DockerEndpoint.Parse(dockerHost);

        Assert.Equal("/var/run/docker.sock", endpoint.SocketPath);
        Assert.Equal(DockerEndpoint.DefaultAddress, endpoint.Address);
    }

    [Fact]
    public void Parse_Tcp_IsPlainHttpToThatHost()
    {
        var endpoint = DockerEndpoint.Parse("tcp://127.0.0.1:2375");

        Assert.Null(endpoint.SocketPath);
        Assert.Equal(new Uri("http://127.0.0.1:2375/"), endpoint.BaseAddress);
    }

    [Theory]
    [InlineData("ssh://user@host")]
    [InlineData("unix://relative.sock")]
    [InlineData("npipe:////./pipe/docker_engine")]
    public void Parse_UnsupportedAddress_SaysWhatIsSupported(string dockerHost)
    {
        var error = Assert.Throws<ArgumentException>(() => DockerEndpoint.Parse(dockerHost));

        Assert.Contains(dockerHost, error.Message);
    }
}
