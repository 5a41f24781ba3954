using System.Net;
using System.Net.Sockets;
using Docker.DotNet;
using Supervisor.Worker.Containers;

namespace Supervisor.Tests.Containers;

public sealed class DockerConnectionSpecs
{
    [Fact]
    public void A_unix_socket_address_is_the_clients_endpoint_as_written()
    {
        using var docker = DockerConnection.Create("unix:///var/run/docker.sock");

        Assert.Equal("unix:///var/run/docker.sock", docker.Options.Endpoint.ToString());
        Assert.Null(docker.Options.ApiVersion);
    }

    [Fact]
    public void A_tcp_address_is_that_host_and_DOCKER_API_VERSION_pins_the_version()
    {
        using var docker = DockerConnection.Create("tcp://127.0.0.1:2375", "1.41");

        Assert.Equal(("127.0.0.1", 2375), (docker.Options.Endpoint.Host, docker.Options.Endpoint.Port));
        Assert.Equal(new Version(1, 41), docker.Options.ApiVersion);
    }

    [Theory]
    [InlineData("ssh://user@host")]
    [InlineData("unix://relative.sock")]
    [InlineData("npipe:////./pipe/docker_engine")]
    [InlineData("tcp://host:2375/path")]
    public void An_unsupported_address_is_refused_saying_what_is_supported(string dockerHost)
    {
        var error = Assert.Throws<ArgumentException>(() => DockerConnection.Create(dockerHost));

        Assert.Contains(dockerHost, error.Message);
        Assert.Contains("unix:///path/to/docker.sock or tcp://host:port", error.Message);
    }

    [Fact]
    public void The_engines_own_message_is_what_a_refusal_says()
    {
        var error = new DockerApiException(HttpStatusCode.BadRequest, """{"message":"Minimum memory limit allowed is 6MB"}""");

        Assert.True(EngineErrors.IsRefusal(error));
        Assert.True(EngineErrors.IsFailure(error, CancellationToken.None));
        Assert.Equal("Minimum memory limit allowed is 6MB", EngineErrors.Describe(error, new Uri("unix:///var/run/docker.sock")));
    }

    [Fact]
    public void A_server_error_is_a_failure_not_a_refusal_and_a_body_that_is_not_json_is_shown_as_it_is()
    {
        var error = new DockerApiException(HttpStatusCode.BadGateway, "upstream gone");

        Assert.False(EngineErrors.IsRefusal(error));
        Assert.True(EngineErrors.IsFailure(error, CancellationToken.None));
        Assert.Equal("HTTP 502 BadGateway: upstream gone", EngineErrors.Describe(error, new Uri("tcp://127.0.0.1:2375")));
    }

    [Fact]
    public void An_engine_that_cannot_be_reached_is_named_with_the_reason()
    {
        var error = new HttpRequestException("Connection failed.", new SocketException((int)SocketError.ConnectionRefused));

        Assert.False(EngineErrors.IsRefusal(error));
        Assert.True(EngineErrors.IsFailure(error, CancellationToken.None));
        Assert.StartsWith("the Docker engine at unix:///run/x.sock is unreachable (", EngineErrors.Describe(error, new Uri("unix:///run/x.sock")),
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_cut_off_by_the_clients_timeout_is_a_failure_but_the_callers_own_cancellation_is_not()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var error = new TaskCanceledException();

        Assert.True(EngineErrors.IsFailure(error, CancellationToken.None));
        Assert.False(EngineErrors.IsFailure(error, cancelled.Token));
        Assert.Equal("the Docker engine at unix:///run/x.sock did not answer within 30s", EngineErrors.Describe(error, new Uri("unix:///run/x.sock")));
    }
}
