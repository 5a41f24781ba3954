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
}
