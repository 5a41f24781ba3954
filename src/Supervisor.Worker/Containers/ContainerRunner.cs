using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Supervisor.Agents;
using Supervisor.Rules;
using Supervisor.Rules.Failures;
using Supervisor.Worker.Execution;

namespace Supervisor.Worker.Containers;

/// <summary>
/// Runs one <see cref="ProcessSpec"/> in a new container of the agent's image (see <see cref="ContainerRequests"/>),
/// streams its output, kills it on timeout or cancellation, and removes it whatever happened. Engine trouble and
/// OOM kills come back as <see cref="ProcessOutcome.Crash"/>; a missing image or a command the image cannot run as
/// <see cref="ProcessOutcome.StartError"/>.
/// </summary>
public sealed partial class ContainerRunner(DockerClient docker, string workerId, ILogger<ContainerRunner> logger) : IAsyncDisposable
{
    /// <summary>Bound on each clean-up request (kill, wait after kill, remove) once the attempt is over.</summary>
    static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(10);

    /// <summary>After the container stopped, how long the live output stream may take to end before it is given up on.</summary>
    static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Containers whose removal failed (engine gone); removed before the next container is created.</summary>
    readonly ConcurrentDictionary<string, string> _leftovers = new(StringComparer.Ordinal);

    readonly string _defaultUser = string.Create(CultureInfo.InvariantCulture, $"{NativeMethods.EffectiveUserId()}:{NativeMethods.EffectiveGroupId()}");

    public DockerClient Docker => docker;

    public async Task<ProcessOutcome> RunAsync(AgentOptions agent, ProcessSpec spec, Func<string, string, ValueTask> onOutput, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(onOutput);
        var stopwatch = Stopwatch.StartNew();
        if (cancellationToken.IsCancellationRequested)
            return new ProcessOutcome(null, false, true, null, null, stopwatch.Elapsed);
        if (!Directory.Exists(spec.WorkingDirectory))
            return StartFailed($"cannot start '{spec.FileName}': workspace '{spec.WorkingDirectory}' does not exist", stopwatch);

        await RemoveLeftoversAsync();
        var labels = ContainerRequests.Labels(spec, workerId);
        var name = ContainerRequests.Name(labels);
        string? id = null;
        try
        {
            if (await docker.InspectImageAsync(agent.Image!, cancellationToken) is null)
            {
                return StartFailed($"image '{agent.Image}' is not on the Docker engine at {docker.Endpoint}; workers never pull images, so build or pull it there first",
                    stopwatch);
            }

            try
            {
                // Not cancellable: the engine may create a container for a request its client gave up on, and then
                // only its name would find it. A cancellation meanwhile kills the container once it runs.
                id = name;
                id = await docker.CreateContainerAsync(ContainerRequests.Create(agent, spec, labels, _defaultUser), name, CancellationToken.None);
                await docker.StartContainerAsync(id, CancellationToken.None);
            }
            catch (DockerEngineException e) when (e.IsClientError)
            {
                // The engine refused this configuration or the image cannot run the command: retrying will not help.
                return StartFailed($"cannot start '{spec.FileName}' in a container of {agent.Image}: {e.Message}", stopwatch);
            }

            LogStarted(name, agent.Image!, spec.FileName);
            return await SuperviseAsync(agent, spec, id, name, onOutput, stopwatch, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new ProcessOutcome(null, false, true, null, null, stopwatch.Elapsed);
        }
        catch (DockerEngineException) when (cancellationToken.IsCancellationRequested)
        {
            // Interrupted anyway; whatever the engine did meanwhile, the attempt did not fail on its own.
            return new ProcessOutcome(null, false, true, NativeMethods.SigKill, null, stopwatch.Elapsed);
        }
        catch (DockerEngineException e)
        {
            LogEngineFailed(name, e.Message);
            return new ProcessOutcome(null, false, false, null, null, stopwatch.Elapsed, ContainerCrashes.EngineFailure(e.Message));
        }
        finally
        {
            if (id is not null)
                await RemoveAsync(id, name);
        }
    }

    async Task<ProcessOutcome> SuperviseAsync(AgentOptions agent, ProcessSpec spec, string id, string name,
        Func<string, string, ValueTask> onOutput, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        var output = new ContainerOutput(onOutput);
        using var readCancel = new CancellationTokenSource();
        using var abort = new CancellationTokenSource();
        var live = FollowOutputAsync(id, output, abort, readCancel.Token);
        var wait = docker.WaitContainerAsync(id, readCancel.Token);

        var hasLimit = spec.Timeout > TimeSpan.Zero && spec.Timeout != Timeout.InfiniteTimeSpan;
        using var deadline = hasLimit ? new CancellationTokenSource(spec.Timeout) : new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token, abort.Token);
        var stopped = Task.Delay(Timeout.Infinite, stop.Token);
        var timedOut = false;
        var cancelled = false;
        ContainerExit exit;
        try
        {
            if (await Task.WhenAny(wait, stopped) != wait)
            {
                cancelled = cancellationToken.IsCancellationRequested;
                timedOut = !cancelled && deadline.IsCancellationRequested;
                LogKilling(name, timedOut ? "timeout" : cancelled ? "cancellation" : "output consumer failure");
                using var killTimeout = new CancellationTokenSource(CleanupTimeout);
                await docker.KillContainerAsync(id, "KILL", killTimeout.Token);
                if (await Task.WhenAny(wait, Task.Delay(CleanupTimeout, CancellationToken.None)) != wait)
                    throw new DockerEngineException($"container {name} did not stop within {CleanupTimeout.TotalSeconds:0}s of SIGKILL", null);
            }

            exit = await wait;
        }
        finally
        {
            // The live stream ends once the container stopped; one that does not is given up on.
            if (await Task.WhenAny(live, Task.Delay(DrainTimeout, CancellationToken.None)) != live)
                await readCancel.CancelAsync();
            await Task.WhenAny(live);
        }

        // A failing onOutput (the consumer) is the caller's error to see, after the container is gone.
        if (live.IsFaulted && live.Exception!.InnerException is not DockerEngineException)
            await live;
        if (!cancelled)
            await CatchUpOutputAsync(id, name, output);
        await output.CompleteAsync();

        var exitCode = (int)exit.StatusCode;
        if (timedOut || cancelled)
            return Ended(name, new ProcessOutcome(exitCode, timedOut, cancelled, NativeMethods.SigKill, null, stopwatch.Elapsed));

        using var inspectTimeout = new CancellationTokenSource(CleanupTimeout);
        var state = (await docker.InspectContainerAsync(id, inspectTimeout.Token))?.State;
        var crash = ContainerCrashes.Describe(exitCode, state is { OOMKilled: true }, agent.Container.MemoryMb, exit.Error?.Message);
        return Ended(name, new ProcessOutcome(exitCode, false, false, InferSignal(exitCode), null, stopwatch.Elapsed, crash));
    }

    async Task FollowOutputAsync(string id, ContainerOutput output, CancellationTokenSource abort, CancellationToken cancellationToken)
    {
        try
        {
            await docker.ReadLogsAsync(id, follow: true, output.DeliverAsync, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Reading was given up after the drain timeout; the catch-up reads the rest.
        }
        catch (DockerEngineException)
        {
            // The engine went away; the wait for the container's exit reports that.
            throw;
        }
        catch
        {
            await abort.CancelAsync();
            throw;
        }
    }

    /// <summary>The stopped container's whole log, for whatever the live stream missed.</summary>
    async Task CatchUpOutputAsync(string id, string name, ContainerOutput output)
    {
        try
        {
            using var timeout = new CancellationTokenSource(CleanupTimeout);
            await docker.ReadLogsAsync(id, follow: false, output.CatchUpAsync, timeout.Token);
        }
        catch (Exception e) when (e is DockerEngineException or OperationCanceledException)
        {
            LogCatchUpFailed(name, e.Message);
        }
    }

    async Task RemoveAsync(string id, string name)
    {
        try
        {
            using var timeout = new CancellationTokenSource(CleanupTimeout);
            await docker.RemoveContainerAsync(id, force: true, timeout.Token);
            _leftovers.TryRemove(id, out _);
            LogRemoved(name);
        }
        catch (Exception e) when (e is DockerEngineException or OperationCanceledException)
        {
            _leftovers[id] = name;
            LogRemoveFailed(name, e.Message);
        }
    }

    /// <summary>Removes containers an earlier removal could not (the engine was unreachable then).</summary>
    public async Task RemoveLeftoversAsync()
    {
        foreach (var (id, name) in _leftovers.ToArray())
            await RemoveAsync(id, name);
    }

    ProcessOutcome Ended(string name, ProcessOutcome outcome)
    {
        LogExited(name, outcome.ExitCode, outcome.TimedOut, outcome.Cancelled, outcome.Crash, outcome.Duration);
        return outcome;
    }

    ProcessOutcome StartFailed(string error, Stopwatch stopwatch)
    {
        LogStartFailed(error);
        return new ProcessOutcome(null, false, false, null, error, stopwatch.Elapsed);
    }

    /// <summary>128+n from the container's init is "killed by signal n" for the common fatal signals (as for processes).</summary>
    static int? InferSignal(int exitCode) => exitCode is > 128 and <= 143 ? exitCode - 128 : null;

    public async ValueTask DisposeAsync() => await RemoveLeftoversAsync();

    [LoggerMessage(Level = LogLevel.Information, Message = "Container {Name} started from {Image}: {Command}")]
    private partial void LogStarted(string name, string image, string command);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Container {Name} ended: exit code {ExitCode}, timed out {TimedOut}, cancelled {Cancelled}, crash {Crash}, after {Duration}")]
    private partial void LogExited(string name, int? exitCode, bool timedOut, bool cancelled, string? crash, TimeSpan duration);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Killing container {Name} on {Reason}")]
    private partial void LogKilling(string name, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Container {Name} removed")]
    private partial void LogRemoved(string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove container {Name} ({Reason}); trying again before the next container starts")]
    private partial void LogRemoveFailed(string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Container {Name}: {Error}")]
    private partial void LogEngineFailed(string name, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Container {Name}: the end of its output could not be read ({Reason})")]
    private partial void LogCatchUpFailed(string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Error}")]
    private partial void LogStartFailed(string error);
}
