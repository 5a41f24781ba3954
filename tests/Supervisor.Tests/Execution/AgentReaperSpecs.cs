using System.Globalization;
using Microsoft.Extensions.Options;
using Supervisor.Worker.Execution;
using Supervisor.Worker.Settings;
using Xunit.Abstractions;

namespace Supervisor.Tests.Execution;

/// <summary>
/// The reaper a worker starts at boot: once the worker's end of its pipe closes (here by stopping it, as the kernel does
/// when the worker dies), whatever the worker started dies, in the agent's group or out of it.
/// </summary>
public sealed class AgentReaperSpecs(ITestOutputHelper output) : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("reaper-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    (AgentProcessLedger Ledger, AgentReaper Reaper, ProcessRunner Runner) Worker()
    {
        var options = Options.Create(new WorkerOptions { Id = "reaper-spec", WorkspaceRoot = _root });
        var ledger = new AgentProcessLedger(options, new TestOutputLogger<AgentProcessLedger>(output));
        return (ledger, new AgentReaper(ledger, options, new TestOutputLogger<AgentReaper>(output)), new ProcessRunner(new TestOutputLogger<ProcessRunner>(output), ledger));
    }

    ProcessSpec Sh(string script) =>
        new("sh", ["-c", script], _root, new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" }, TimeSpan.FromMinutes(2));

    [Fact]
    public async Task Every_process_the_agent_started_dies_when_the_reapers_pipe_closes_a_daemon_in_its_own_session_included()
    {
        var (_, created, runner) = Worker();
        using var reaper = created;
        await reaper.StartAsync(CancellationToken.None);
        var pids = Path.Combine(_root, "pids");
        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync(Sh($"sleep 90 & echo $! >> {pids}; setsid sh -c 'sleep 91 & wait' & echo $! >> {pids}; echo $$ >> {pids}; wait"),
            new OutputSink().WriteAsync, stop.Token);
        var started = await ProcessTree.ReadPidsAsync(pids, 3);

        await reaper.StopAsync(CancellationToken.None);

        await ProcessTree.AssertAllGoneAsync(started);
        var outcome = await run.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(137, outcome.ExitCode);
    }

    [Fact]
    public async Task A_reaper_killed_while_the_worker_runs_is_started_again_and_still_does_its_work()
    {
        var (_, created, runner) = Worker();
        using var reaper = created;
        await reaper.StartAsync(CancellationToken.None);
        var first = reaper.Pid;
        NativeMethods.KillProcessGroup(first, NativeMethods.SigKill);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((reaper.Pid == first || reaper.Pid == 0) && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.NotEqual(first, reaper.Pid);

        var pids = Path.Combine(_root, "pids");
        var run = runner.RunAsync(Sh($"sleep 90 & echo $! >> {pids}; wait"), new OutputSink().WriteAsync, CancellationToken.None);
        var started = await ProcessTree.ReadPidsAsync(pids, 1);
        await reaper.StopAsync(CancellationToken.None);

        await ProcessTree.AssertAllGoneAsync(started);
        await run.WaitAsync(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Every_process_the_worker_starts_carries_the_runs_mark_and_no_other_worker_shares_it()
    {
        var (ledger, reaper, runner) = Worker();
        reaper.Dispose();
        var sink = new OutputSink();
        var commands = new CommandRunner(new TestOutputLogger<CommandRunner>(output), ledger);
        var command = new OutputSink();

        await runner.RunAsync(Sh("echo $SUPERVISOR_WORKER_RUN"), sink.WriteAsync, CancellationToken.None);
        await commands.RunAsync(Sh("echo $SUPERVISOR_WORKER_RUN"), command.WriteAsync, CancellationToken.None);

        Assert.Equal(ledger.RunMark, sink.Text("stdout").Trim());
        Assert.Equal(ledger.RunMark, command.Text("stdout").Trim());
        var other = Worker();
        other.Reaper.Dispose();
        Assert.NotEqual(ledger.RunMark, other.Ledger.RunMark);
        Assert.Equal(32, ledger.RunMark.Length);
        Assert.True(long.TryParse(ledger.RunMark[..8], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out _));
    }
}
