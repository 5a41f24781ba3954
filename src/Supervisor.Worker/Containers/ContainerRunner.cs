using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Docker.DotNet;
using Docker.DotNet.Models;
using Supervisor.Agents;
using Supervisor.Rules;
using Supervisor.Rules.Failures;
using Supervisor.Worker.Execution;

namespace Supervisor.Worker.Containers;

/// <summary>
/// Runs one <see cref="ProcessSpec"/> in a new container of the agent's image (see <see cref="ContainerRequests"/>),
/// streams its output, kills it on timeout or cancellation, and removes it whatever happened. Engine trouble and
/// OOM kills come back as <see cref="ProcessOutcome.Crash"/>; a missing image or a command the image cannot run as
/// <see cref="ProcessOutcome.StartError"/> (<see cref="EngineErrors"/> tells them apart).
/// </summary>
public sealed partial class ContainerRunner(IDockerClient docker, string workerId, ILogger<ContainerRunner> logger) : IAsyncDisposable
{
    /// <summary>Bound on each clean-up request (kill, wait after kill, remove) once the attempt is over.</summary>
    static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(10);

    /// <summary>After the container stopped, how long the live output stream may take to end before it is given up on.</summary>
    static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Containers whose removal failed (engine gone); removed before the next container is created.</summary>
    readonly ConcurrentDictionary<string, string> _leftovers = new(StringComparer.Ordinal);

    readonly string _defaultUser = string.Create(CultureInfo.InvariantCulture, $"{NativeMethods.EffectiveUserId()}:{NativeMethods.EffectiveGroupId()}");

    Uri Endpoint => docker.Options.Endpoint;

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
        // What the engine was asked last, for the message when it fails.
        var step = $"inspect image {agent.Image}";
        try
        {
            if (!await docker.ImageExistsAsync(agent.Image!, cancellationToken))
            {
                return StartFailed($"image '{agent.Image}' is not on the Docker engine at {Endpoint}; workers never pull images, so build or pull it there first",
                    stopwatch);
            }

            try
            {
                // Not cancellable: the engine may create a container for a request its client gave up on, and then
                // only its name would find it. A cancellation meanwhile kills the container once it runs.
                id = name;
                step = $"create container {name} from {agent.Image}";
                var request = ContainerRequests.Create(agent, spec, labels, _defaultUser);
                request.Name = name;
                id = (await docker.Containers.CreateContainerAsync(request, CancellationToken.None)).ID;
                step = $"start container {name}";
                await docker.Containers.StartContainerAsync(id, null, CancellationToken.None);
            }
            catch (DockerApiException e) when (EngineErrors.IsRefusal(e))
            {
                // The engine refused this configuration or the image cannot run the command: retrying will not help.
                return StartFailed($"cannot start '{spec.FileName}' in a container of {agent.Image}: {step}: {EngineErrors.Describe(e, Endpoint, docker.Options.Timeout)}", stopwatch);
            }

            LogStarted(name, agent.Image!, spec.FileName);
            step = $"run container {name}";
            return await SuperviseAsync(agent, spec, id, name, onOutput, stopwatch, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new ProcessOutcome(null, false, true, null, null, stopwatch.Elapsed);
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && EngineErrors.IsFailure(e, CancellationToken.None))
        {
            // Interrupted anyway; whatever the engine did meanwhile, the attempt did not fail on its own.
            return new ProcessOutcome(null, false, true, NativeMethods.SigKill, null, stopwatch.Elapsed);
        }
        catch (Exception e) when (EngineErrors.IsFailure(e, cancellationToken))
        {
            var message = $"{step}: {EngineErrors.Describe(e, Endpoint, docker.Options.Timeout)}";
            LogEngineFailed(name, message);
            return new ProcessOutcome(null, false, false, null, null, stopwatch.Elapsed, ContainerCrashes.EngineFailure(message));
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
        var wait = docker.Containers.WaitContainerAsync(id, readCancel.Token);

        var hasLimit = spec.Timeout > TimeSpan.Zero && spec.Timeout != Timeout.InfiniteTimeSpan;
        using var deadline = hasLimit ? new CancellationTokenSource(spec.Timeout) : new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token, abort.Token);
        var stopped = Task.Delay(Timeout.Infinite, stop.Token);
        using var unwatch = new CancellationTokenSource();
        var engine = WatchEngineAsync(id, unwatch.Token);
        var timedOut = false;
        var cancelled = false;
        ContainerWaitResponse exit;
        try
        {
            var first = await Task.WhenAny(wait, stopped, engine);
            if (first == engine)
                await engine;
            if (first != wait)
            {
                cancelled = cancellationToken.IsCancellationRequested;
                timedOut = !cancelled && deadline.IsCancellationRequested;
                LogKilling(name, timedOut ? "timeout" : cancelled ? "cancellation" : "output consumer failure");
                using var killTimeout = new CancellationTokenSource(CleanupTimeout);
                await docker.KillIfRunningAsync(id, killTimeout.Token);
                if (await Task.WhenAny(wait, Task.Delay(CleanupTimeout, CancellationToken.None)) != wait)
                    throw new TimeoutException($"container {name} did not stop within {CleanupTimeout.TotalSeconds:0}s of SIGKILL");
            }

            exit = await wait;
        }
        finally
        {
            await unwatch.CancelAsync();
            await engine.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            // The live stream ends once the container stopped; one that does not is given up on.
            if (await Task.WhenAny(live, Task.Delay(DrainTimeout, CancellationToken.None)) != live)
                await readCancel.CancelAsync();
            await Task.WhenAny(live);
        }

        // A failing onOutput (the consumer) is the caller's error to see, after the container is gone.
        if (live.IsFaulted && !EngineErrors.IsFailure(live.Exception!.InnerException!, readCancel.Token))
            await live;
        if (!cancelled)
            await CatchUpOutputAsync(id, name, output);
        await output.CompleteAsync();

        var exitCode = (int)exit.StatusCode;
        if (timedOut || cancelled)
            return Ended(name, new ProcessOutcome(exitCode, timedOut, cancelled, NativeMethods.SigKill, null, stopwatch.Elapsed));

        using var inspectTimeout = new CancellationTokenSource(CleanupTimeout);
        var state = await docker.StateAsync(id, inspectTimeout.Token);
        var crash = ContainerCrashes.Describe(exitCode, state is { OOMKilled: true }, agent.Container.MemoryMb, exit.Error?.Message);
        return Ended(name, new ProcessOutcome(exitCode, false, false, InferSignal(exitCode), null, stopwatch.Elapsed, crash));
    }

    /// <summary>
    /// The wait for the container's exit is a stream, which no request timeout bounds: an engine that stops answering
    /// mid-run would hold the attempt until its own timeout. So the container is inspected once per engine call timeout,
    /// and an inspection the engine fails or does not answer within it ends the run with that failure (a ContainerCrash).
    /// </summary>
    async Task WatchEngineAsync(string id, CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(docker.Options.Timeout, cancellationToken);
            await docker.StateAsync(id, cancellationToken);
        }
    }

    async Task FollowOutputAsync(string id, ContainerOutput output, CancellationTokenSource abort, CancellationToken cancellationToken)
    {
        try
        {
            using var stream = await docker.LogsAsync(id, follow: true, cancellationToken);
            await output.ReadAsync(stream, catchUp: false, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Reading was given up after the drain timeout; the catch-up reads the rest.
        }
        catch (Exception e) when (EngineErrors.IsFailure(e, cancellationToken))
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
        using var timeout = new CancellationTokenSource(CleanupTimeout);
        try
        {
            using var stream = await docker.LogsAsync(id, follow: false, timeout.Token);
            await output.ReadAsync(stream, catchUp: true, timeout.Token);
        }
        catch (Exception e) when (EngineErrors.IsFailure(e, CancellationToken.None))
        {
            LogCatchUpFailed(name, EngineErrors.Describe(e, Endpoint, CleanupTimeout));
        }
    }

    async Task RemoveAsync(string id, string name)
    {
        using var timeout = new CancellationTokenSource(CleanupTimeout);
        try
        {
            await docker.RemoveIfExistsAsync(id, timeout.Token);
            _leftovers.TryRemove(id, out _);
            LogRemoved(name);
        }
        catch (Exception e) when (EngineErrors.IsFailure(e, CancellationToken.None))
        {
            _leftovers[id] = name;
            LogRemoveFailed(name, EngineErrors.Describe(e, Endpoint, CleanupTimeout));
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
    partial void LogStarted(string name, string image, string command);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Container {Name} ended: exit code {ExitCode}, timed out {TimedOut}, cancelled {Cancelled}, crash {Crash}, after {Duration}")]
    partial void LogExited(string name, int? exitCode, bool timedOut, bool cancelled, string? crash, TimeSpan duration);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Killing container {Name} on {Reason}")]
    partial void LogKilling(string name, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Container {Name} removed")]
    partial void LogRemoved(string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove container {Name} ({Reason}); trying again before the next container starts")]
    partial void LogRemoveFailed(string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Container {Name}: {Error}")]
    partial void LogEngineFailed(string name, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Container {Name}: the end of its output could not be read ({Reason})")]
    partial void LogCatchUpFailed(string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Error}")]
    partial void LogStartFailed(string error);
}
