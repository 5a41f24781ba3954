using Supervisor.Agents;
using Supervisor.Worker.Execution;

namespace Supervisor.Worker.Jobs;

/// <summary>Runs an attempt's processes where its agent's isolation says: directly on this machine for now.</summary>
public sealed class AttemptExecutor(ProcessRunner processes)
{
    public Task<ProcessOutcome> RunAsync(AgentOptions agent, ProcessSpec spec, Func<string, string, ValueTask> onOutput, CancellationToken cancellationToken) =>
        agent.Isolation == IsolationModes.Container
            ? throw new NotSupportedException("Isolation 'container' is not available in this build.")
            : processes.RunAsync(spec, onOutput, cancellationToken);
}
