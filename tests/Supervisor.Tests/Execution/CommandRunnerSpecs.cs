using Supervisor.Rules;
using Supervisor.Worker.Execution;
using Xunit.Abstractions;

namespace Supervisor.Tests.Execution;

/// <summary>The runner of hooks and verify commands, on CliWrap.</summary>
public sealed class CommandRunnerSpecs(ITestOutputHelper output) : RunnerSpecs
{
    readonly CommandRunner _runner = new(new TestOutputLogger<CommandRunner>(output));

    protected override Task<ProcessOutcome> RunAsync(ProcessSpec spec, Func<string, string, ValueTask> onOutput, CancellationToken cancellationToken) =>
        _runner.RunAsync(spec, onOutput, cancellationToken);
}
