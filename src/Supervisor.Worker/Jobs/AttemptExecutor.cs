using System.Diagnostics;
using Supervisor.Agents;
using Supervisor.Rules;
using Supervisor.Rules.Interpretation;
using Supervisor.Worker.Containers;
using Supervisor.Worker.Execution;

namespace Supervisor.Worker.Jobs;

/// <summary>Runs an attempt's processes where its agent's isolation says: in a new container, or directly on this machine.</summary>
public sealed class AttemptExecutor(ProcessRunner processes, ContainerRunner containers)
{
    public async Task<ProcessOutcome> RunAsync(AgentOptions agent, ProcessSpec spec, Func<string, string, ValueTask> onOutput, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return agent.Isolation == IsolationModes.Container
                ? await containers.RunAsync(agent, spec, onOutput, cancellationToken)
                : await processes.RunAsync(spec, onOutput, cancellationToken);
        }
        catch (OwnRetriesExhaustedException)
        {
            // The runner killed the process group (or the container) when the output watch gave up; the attempt ends
            // like a killed one, and its output (the CLI's last retry message) classifies it.
            return new ProcessOutcome(null, false, false, NativeMethods.SigKill, null, Stopwatch.GetElapsedTime(started));
        }
    }
}
