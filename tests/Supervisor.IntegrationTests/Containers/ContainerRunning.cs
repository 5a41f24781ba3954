using System.Diagnostics;
using System.Net;
using System.Text;
using Docker.DotNet;
using Microsoft.Extensions.Logging.Abstractions;
using Supervisor.Agents;
using Supervisor.Worker.Containers;
using Supervisor.Worker.Execution;
using Supervisor.Worker.Settings;

namespace Supervisor.IntegrationTests.Containers;

/// <summary>The worker's container runner, its Docker client and our reading of the engine's errors against the real engine, below the queue.</summary>
[Collection(ContainerCollection.Name)]
public sealed class ContainerRunning : IDisposable
{
    readonly IDockerClient _docker = DockerConnection.FromEnvironment();
    readonly ContainerRunner _runner;
    readonly string _workspace = Directory.CreateTempSubdirectory("supervisor-container-").FullName;
    readonly Guid _taskId = Guid.NewGuid();

    public ContainerRunning() => _runner = new ContainerRunner(_docker, "runner-test", NullLogger<ContainerRunner>.Instance);

    static AgentOptions Agent(string image = DockerEngine.TestImage) => new()
    {
        Command = "/bin/sh",
        Isolation = IsolationModes.Container,
        Image = image,
        Container = new ContainerOptions { MemoryMb = 64, PidsLimit = 64 },
    };

    ProcessSpec Sh(string script, TimeSpan? timeout = null) => Spec("/bin/sh", ["-c", script], timeout);

    ProcessSpec Spec(string command, string[] arguments, TimeSpan? timeout = null) => new(command, arguments, _workspace,
        new Dictionary<string, string> { ["SUPERVISOR_TASK_ID"] = _taskId.ToString(), ["SUPERVISOR_ATTEMPT"] = "1", ["GREETING"] = "hello" },
        timeout ?? TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Output_streams_back_per_stream_and_files_land_in_the_workspace()
    {
        var output = new Output();

        var outcome = await _runner.RunAsync(Agent(), Sh("echo $GREETING from $(pwd); echo oops >&2; printf 'é€😀' ; echo made > made.txt; exit 3"),
            output.WriteAsync, CancellationToken.None);

        Assert.Equal(3, outcome.ExitCode);
        Assert.Null(outcome.Crash);
        Assert.Equal("hello from /workspace\né€😀", output.Text("stdout"));
        Assert.Equal("oops\n", output.Text("stderr"));
        Assert.Equal("made\n", await File.ReadAllTextAsync(Path.Combine(_workspace, "made.txt")));
        await DockerEngine.AssertNoContainerLeftAsync(_taskId);
    }

    [Fact]
    public async Task A_sandboxed_attempt_runs_as_its_uid_on_a_read_only_root_and_writes_only_its_workspace_and_tmp()
    {
        var output = new Output();
        var users = new AgentUsers(Microsoft.Extensions.Options.Options.Create(new WorkerOptions { AgentUsers = "61960-61969" }),
            NullLogger<AgentUsers>.Instance);
        await using var user = (await users.ClaimAsync())!;
        user.Hand(_workspace);
        string Try(string name, string command) => $"if {command} 2>/dev/null; then echo {name}=yes; else echo {name}=no; fi; ";

        var outcome = await _runner.RunAsync(Agent(), Sh("echo uid=$(id -u):$(id -g); " + Try("root", "touch /x") + Try("etc", "touch /etc/x") + Try("tmp", "touch /tmp/x")
            + Try("workspace", "touch /workspace/x") + Try("docker", "test -e /var/run/docker.sock")) with
        { RunAs = user.Uid }, output.WriteAsync, CancellationToken.None);

        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal($"uid={user.Uid}:{user.Uid}\nroot=no\netc=no\ntmp=yes\nworkspace=yes\ndocker=no\n", output.Text("stdout"));
        await DockerEngine.AssertNoContainerLeftAsync(_taskId);
    }

    [Fact]
    public async Task Cancelling_kills_and_removes_the_container_within_five_seconds()
    {
        var output = new Output();
        using var cancel = new CancellationTokenSource();

        var run = _runner.RunAsync(Agent(), Sh("echo up; trap '' TERM; sleep 300"), output.WriteAsync, cancel.Token);
        await output.WaitForAsync("up", TimeSpan.FromSeconds(30));
        Assert.Single(await DockerEngine.ContainersOfTaskAsync(_taskId));
        var clock = Stopwatch.StartNew();
        await cancel.CancelAsync();
        var outcome = await run;
        clock.Stop();

        Assert.True(outcome.Cancelled);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the container took {clock.Elapsed} to be killed and removed");
        await DockerEngine.AssertNoContainerLeftAsync(_taskId);
    }

    [Fact]
    public async Task An_attempt_over_its_timeout_is_killed_and_removed()
    {
        var outcome = await _runner.RunAsync(Agent(), Sh("sleep 300", TimeSpan.FromSeconds(1)), new Output().WriteAsync, CancellationToken.None);

        Assert.True(outcome.TimedOut);
        Assert.True(outcome.Duration < TimeSpan.FromSeconds(10), $"took {outcome.Duration}");
        await DockerEngine.AssertNoContainerLeftAsync(_taskId);
    }

    [Fact]
    public async Task An_image_the_engine_does_not_have_is_a_start_error()
    {
        var outcome = await _runner.RunAsync(Agent("supervisor-no-such-image:0"), Sh("true"), new Output().WriteAsync, CancellationToken.None);

        Assert.Contains("supervisor-no-such-image:0", outcome.StartError);
        Assert.Contains("not on the Docker engine", outcome.StartError);
    }

    [Fact]
    public async Task A_command_the_image_does_not_have_is_a_start_error_and_leaves_no_container()
    {
        var outcome = await _runner.RunAsync(Agent(), Spec("/usr/bin/claude", ["--help"]), new Output().WriteAsync, CancellationToken.None);

        Assert.NotNull(outcome.StartError);
        Assert.Contains("/usr/bin/claude", outcome.StartError);
        await DockerEngine.AssertNoContainerLeftAsync(_taskId);
    }

    [Fact]
    public async Task An_engine_that_stops_answering_mid_run_ends_the_attempt_as_a_crash_within_the_engine_call_timeout()
    {
        await using var engine = EngineSocketCut.Open();
        using var client = DockerConnection.Create(engine.DockerHost, Environment.GetEnvironmentVariable("DOCKER_API_VERSION"), TimeSpan.FromSeconds(2));
        var runner = new ContainerRunner(client, "runner-test", NullLogger<ContainerRunner>.Instance);
        var output = new Output();
        var run = runner.RunAsync(Agent(), Sh("echo up; sleep 300", TimeSpan.FromMinutes(10)), output.WriteAsync, CancellationToken.None);
        await output.WaitForAsync("up", TimeSpan.FromSeconds(30));

        engine.Freeze();
        // Bounded by the test, not asserted on: the runner must give up well before the attempt's 10 minutes.
        var outcome = await run.WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Contains("did not answer within 2s", outcome.Crash);
        foreach (var left in await DockerEngine.ContainersOfTaskAsync(_taskId))
            await _docker.Containers.RemoveContainerAsync(left.ID, new Docker.DotNet.Models.ContainerRemoveParameters { Force = true });
    }

    [Fact]
    public async Task An_unreachable_engine_is_a_crash_naming_the_engine()
    {
        using var nowhere = DockerConnection.Create("unix:///tmp/supervisor-no-engine-here.sock");
        var runner = new ContainerRunner(nowhere, "runner-test", NullLogger<ContainerRunner>.Instance);

        var outcome = await runner.RunAsync(Agent(), Sh("true"), new Output().WriteAsync, CancellationToken.None);

        Assert.Null(outcome.StartError);
        Assert.Contains("unix:///tmp/supervisor-no-engine-here.sock is unreachable", outcome.Crash);
    }

    [Fact]
    public async Task Engine_errors_surface_with_the_engines_own_message()
    {
        var spec = Sh("true");
        var request = ContainerRequests.Create(Agent(), spec, ContainerRequests.Labels(spec, "runner-test"), "0:0");
        request.Name = "supervisor-bad-memory-" + _taskId.ToString("N")[..8];
        request.HostConfig!.Memory = request.HostConfig.MemorySwap = 1024 * 1024;

        var error = await Assert.ThrowsAsync<DockerApiException>(() => _docker.Containers.CreateContainerAsync(request));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.True(EngineErrors.IsRefusal(error));
        Assert.Contains("Minimum memory limit allowed is 6MB", EngineErrors.Describe(error, _docker.Options.Endpoint));
        await DockerEngine.AssertNoContainerLeftAsync(_taskId);
    }

    public void Dispose()
    {
        _docker.Dispose();
        Directory.Delete(_workspace, recursive: true);
    }

    /// <summary>Collects output per stream and lets a test wait for a piece of it.</summary>
    sealed class Output
    {
        readonly Dictionary<string, StringBuilder> _streams = [];
        readonly List<(string Text, TaskCompletionSource Seen)> _waits = [];

        public ValueTask WriteAsync(string stream, string text)
        {
            lock (_streams)
            {
                if (!_streams.TryGetValue(stream, out var builder))
                    _streams[stream] = builder = new StringBuilder();
                builder.Append(text);
                foreach (var (wanted, seen) in _waits.Where(w => builder.ToString().Contains(w.Text, StringComparison.Ordinal)))
                    seen.TrySetResult();
            }

            return ValueTask.CompletedTask;
        }

        public string Text(string stream)
        {
            lock (_streams)
                return _streams.TryGetValue(stream, out var builder) ? builder.ToString() : "";
        }

        public Task WaitForAsync(string text, TimeSpan timeout)
        {
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_streams)
            {
                _waits.Add((text, seen));
                if (_streams.Values.Any(b => b.ToString().Contains(text, StringComparison.Ordinal)))
                    seen.TrySetResult();
            }

            return seen.Task.WaitAsync(timeout);
        }
    }
}
