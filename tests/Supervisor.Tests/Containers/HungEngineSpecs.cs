using System.Net.Sockets;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Rules.Failures;
using Supervisor.Tests.Execution;
using Supervisor.Worker.Containers;
using Supervisor.Worker.Execution;
using Xunit.Abstractions;

namespace Supervisor.Tests.Containers;

/// <summary>An engine stand-in that takes connections and never answers: every call the worker makes to it must end.</summary>
public sealed class HungEngineSpecs(ITestOutputHelper output) : IDisposable
{
    readonly string _socket = Path.Combine(Path.GetTempPath(), $"supervisor-hung-engine-{Guid.NewGuid():N}.sock");
    readonly string _workspace = Directory.CreateTempSubdirectory("hung-engine-").FullName;
    readonly List<Socket> _accepted = [];
    Socket? _listener;

    public void Dispose()
    {
        _listener?.Dispose();
        lock (_accepted)
            _accepted.ForEach(s => s.Dispose());
        File.Delete(_socket);
        Directory.Delete(_workspace, recursive: true);
    }

    void Listen()
    {
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(_socket));
        _listener.Listen(16);
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptAsync();
                    lock (_accepted)
                        _accepted.Add(client);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // the spec is over
            }
        });
    }

    [Fact]
    public async Task An_attempt_on_an_engine_that_never_answers_ends_as_ContainerCrash_within_the_engine_call_timeout()
    {
        Listen();
        using var docker = DockerConnection.Create("unix://" + _socket, requestTimeout: TimeSpan.FromSeconds(1));
        await using var runner = new ContainerRunner(docker, "test", new TestOutputLogger<ContainerRunner>(output));
        var agent = new AgentOptions { Command = "sh", Isolation = IsolationModes.Container, Image = "debian:12-slim" };
        var spec = new ProcessSpec("sh", ["-c", "echo hi"], _workspace, new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" }, TimeSpan.FromHours(1));

        // Bounded by the test, not asserted on: the runner itself must give up after its engine call timeout.
        var outcome = await runner.RunAsync(agent, spec, (_, _) => ValueTask.CompletedTask, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Contains("did not answer within 1s", outcome.Crash, StringComparison.Ordinal);
        Assert.Equal(ErrorClasses.ContainerCrash, FailureClassifier.Classify(new Dictionary<string, List<string>>(), new Dictionary<string, List<string>>(), outcome, "", "").ErrorClass);
    }
}
