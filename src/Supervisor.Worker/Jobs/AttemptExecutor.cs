using Supervisor.Agents;
using Supervisor.Worker.Containers;
using Supervisor.Worker.Execution;

namespace Supervisor.Worker.Jobs;

/// <summary>Runs an attempt's processes where its agent's isolation says: in a new container, or directly on this machine.</summary>
public sealed class AttemptExecutor(ProcessRunner processes, ContainerRunner containers)
{
    public Task<ProcessOutcome> RunAsync(AgentOptions agent, ProcessSpec spec, Func<string, string, ValueTask> onOutput, CancellationToken cancellationToken) =>
        agent.Isolation == IsolationModes.Container
            ? containers.RunAsync(agent, spec, onOutput, cancellationToken)
            : processes.RunAsync(spec, onOutput, cancellationToken);
}
