using System.Diagnostics;
using Supervisor.Agents;
using Supervisor.Worker.Execution;
using Supervisor.Worker.Interpretation;

namespace Supervisor.Worker.Jobs;

/// <summary>Runs an attempt's processes where its agent's isolation says: directly on this machine for now.</summary>
public sealed class AttemptExecutor(ProcessRunner processes)
{
    public async Task<ProcessOutcome> RunAsync(AgentOptions agent, ProcessSpec spec, Func<string, string, ValueTask> onOutput, CancellationToken cancellationToken)
    {
        if (agent.Isolation == IsolationModes.Container)
            throw new NotSupportedException("Isolation 'container' is not available in this build.");

        var started = Stopwatch.GetTimestamp();
        try
        {
            return await processes.RunAsync(spec, onOutput, cancellationToken);
        }
        catch (OwnRetriesExhaustedException)
        {
            // The runner killed the process group when the output watch gave up; the attempt ends like a killed one,
            // and its output (the CLI's last retry message) classifies it.
            return new ProcessOutcome(null, false, false, NativeMethods.SigKill, null, Stopwatch.GetElapsedTime(started));
        }
    }
}
