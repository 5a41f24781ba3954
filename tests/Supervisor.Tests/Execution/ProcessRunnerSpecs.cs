using Supervisor.Rules;
using Supervisor.Worker.Execution;
using Xunit.Abstractions;

namespace Supervisor.Tests.Execution;

/// <summary>The agent runner, on <c>posix_spawn</c>.</summary>
public sealed class ProcessRunnerSpecs(ITestOutputHelper output) : RunnerSpecs
{
    readonly ProcessRunner _runner = new(new TestOutputLogger<ProcessRunner>(output));

    protected override Task<ProcessOutcome> RunAsync(ProcessSpec spec, Func<string, string, ValueTask> onOutput, CancellationToken cancellationToken) =>
        _runner.RunAsync(spec, onOutput, cancellationToken);

    [Fact]
    public async Task A_program_over_its_memory_limit_fails_to_allocate_and_one_within_it_runs()
    {
        // tail -c must hold 100 MB of a pipe in memory.
        const string hungry = "head -c 100000000 /dev/zero | tail -c 100000000 >/dev/null; echo status $?";
        var spec = new ProcessSpec("sh", ["-c", hungry], Path.GetTempPath(), new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" },
            TimeSpan.FromMinutes(1), MemoryMb: 64);
        var limited = new OutputSink();
        var unlimited = new OutputSink();

        await _runner.RunAsync(spec, limited.WriteAsync, CancellationToken.None);
        await _runner.RunAsync(spec with { MemoryMb = 512 }, unlimited.WriteAsync, CancellationToken.None);

        Assert.Equal("status 1", limited.Text("stdout").Trim());
        Assert.Contains("memory exhausted", limited.Text("stderr"), StringComparison.Ordinal);
        Assert.Equal("status 0", unlimited.Text("stdout").Trim());
    }
}
