using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Supervisor.Rules;

namespace Supervisor.Worker.Execution;

/// <summary>
/// Runs one program with an argument list (never through a shell), a cleared environment and its own session,
/// streams its output as it comes, and kills everything it started on timeout or cancellation.
/// </summary>
public sealed partial class ProcessRunner(ILogger<ProcessRunner> logger, AgentProcessLedger? ledger = null)
{
    /// <summary>
    /// After the process exited: when leftovers in its group are killed, and how long a reader may then wait on an
    /// empty pipe (held open by a process that escaped the group) before reading stops.
    /// </summary>
    internal static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Upper bound of the drain, against a stray process that keeps writing into an inherited pipe.</summary>
    static readonly TimeSpan MaxDrain = TimeSpan.FromSeconds(30);

    const string Prlimit = "/usr/bin/prlimit";

    static readonly TimeSpan DrainPollInterval = TimeSpan.FromMilliseconds(100);
    static readonly TimeSpan KillSettleTime = TimeSpan.FromMilliseconds(500);
    static readonly TimeSpan KillWaitTimeout = TimeSpan.FromSeconds(10);
    static readonly TimeSpan ReadCancelTimeout = TimeSpan.FromSeconds(1);

    public async Task<ProcessOutcome> RunAsync(
        ProcessSpec spec,
        Func<string, string, ValueTask> onOutput,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(onOutput);

        var stopwatch = Stopwatch.StartNew();
        if (cancellationToken.IsCancellationRequested)
        {
            return new ProcessOutcome(null, false, true, null, null, stopwatch.Elapsed);
        }

        if (WhyNotStartable(spec, out var executable) is { } notStartable)
        {
            return StartFailed(notStartable, stopwatch);
        }

        // The child gets its own session, and so its own process group whose id is its pid. A memory limit costs one exec
        // in front of the program: prlimit sets it on itself, then becomes the program (same pid); so does the switch to the
        // attempt's user (setpriv) where the worker cannot take the uid itself.
        // Where the worker can take the uid on a thread of its own, the program is started from that thread instead.
        var asUser = AgentUserThread.Supported ? spec.RunAs : null;
        var (launcher, arguments) = Launch(asUser is null ? spec : spec with { RunAs = null }, executable);
        executable = launcher;

        SpawnedProcess process;
        try
        {
            process = SpawnedProcess.Start(executable, arguments, spec.WorkingDirectory, ledger?.Marked(spec.Environment) ?? spec.Environment, asUser);
        }
        catch (Win32Exception ex)
        {
            return StartFailed($"cannot start '{spec.FileName}' ({executable}): {ex.Message}", stopwatch);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return StartFailed($"cannot start '{spec.FileName}': this system's C library has no posix_spawn with sessions ({ex.Message})", stopwatch);
        }

        using var _ = process;
        var pid = process.Id;
        LogStarted(executable, pid);
        ledger?.Add(pid);

        using var readCancel = new CancellationTokenSource();
        using var abort = new CancellationTokenSource();
        OutputPump[] pumps =
        [
            OutputPump.Start(process.StandardOutput, "stdout", onOutput, abort.Cancel, readCancel.Token),
            OutputPump.Start(process.StandardError, "stderr", onOutput, abort.Cancel, readCancel.Token),
        ];

        // Some CLIs wait for stdin to close before they start work; input larger than the pipe is written while output drains.
        var input = WriteInputAndCloseAsync(process, spec.StandardInput);

        var (timedOut, cancelled) = await WaitForExitOrKillAsync(process, pid, spec.Timeout, abort, cancellationToken);

        await DrainAsync(process, pid, pumps, readCancel);
        ledger?.Remove(pid);
        await input;

        // A failing onOutput (the consumer) is the caller's error to see, after the process tree is gone.
        foreach (var pump in pumps.Where(p => p.Completion.IsFaulted))
        {
            await pump.Completion;
        }

        var exitCode = process.Exited.IsCompletedSuccessfully ? await process.Exited : null;
        int? signal = timedOut || cancelled ? NativeMethods.SigKill : InferSignal(exitCode);
        LogExited(pid, exitCode, timedOut, cancelled, stopwatch.Elapsed);
        return new ProcessOutcome(exitCode, timedOut, cancelled, signal, null, stopwatch.Elapsed);
    }

    static async Task WriteInputAndCloseAsync(SpawnedProcess process, string? input)
    {
        try
        {
            await using var writer = new StreamWriter(process.StandardInput, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            if (input is not null)
                await writer.WriteAsync(input);
        }
        catch (IOException)
        {
            // The program exited (or closed its stdin) before reading everything; its outcome says why.
        }
    }

    async Task<(bool TimedOut, bool Cancelled)> WaitForExitOrKillAsync(
        SpawnedProcess process,
        int pid,
        TimeSpan timeout,
        CancellationTokenSource abort,
        CancellationToken cancellationToken)
    {
        var hasLimit = timeout > TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan;
        using var deadline = hasLimit ? new CancellationTokenSource(timeout) : new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token, abort.Token);
        try
        {
            await process.Exited.WaitAsync(stop.Token);
            return (false, false);
        }
        catch (OperationCanceledException)
        {
            var cancelled = cancellationToken.IsCancellationRequested;
            var timedOut = !cancelled && deadline.IsCancellationRequested;
            LogKilling(pid, timedOut ? "timeout" : cancelled ? "cancellation" : "output consumer failure");
            KillTree(pid);
            using var killWait = new CancellationTokenSource(KillWaitTimeout);
            try
            {
                await process.Exited.WaitAsync(killWait.Token);
            }
            catch (OperationCanceledException)
            {
                LogNotDead(pid);
            }

            return (timedOut, cancelled);
        }
    }

    async Task DrainAsync(SpawnedProcess process, int pid, OutputPump[] pumps, CancellationTokenSource readCancel)
    {
        var completion = Task.WhenAll(pumps.Select(p => p.Completion));
        var sinceExit = Stopwatch.StartNew();
        var groupKilled = false;
        var sinceKill = Stopwatch.StartNew();

        // Output still buffered in the pipes is read however long the consumer takes; only a reader that has waited
        // on an empty pipe for the drain timeout (its writer escaped the group and lives on) is given up on.
        while (!pumps.All(p => p.Completion.IsCompleted))
        {
            if (!groupKilled && sinceExit.Elapsed >= DrainTimeout)
            {
                // Whatever the agent left running in its session does not outlive the attempt; killing it also
                // closes the pipes such leftovers were holding open.
                NativeMethods.KillProcessGroup(pid, NativeMethods.SigKill);
                groupKilled = true;
                sinceKill.Restart();
            }

            // After the kill, a moment for the pipes of the killed processes to report their end.
            var idle = pumps.Min(p => p.Completion.IsCompleted ? TimeSpan.MaxValue : p.IdleFor);
            if ((groupKilled && idle >= DrainTimeout && sinceKill.Elapsed >= KillSettleTime) || sinceExit.Elapsed >= MaxDrain)
            {
                break;
            }

            await Task.WhenAny(completion, Task.Delay(DrainPollInterval));
        }

        if (!groupKilled)
        {
            NativeMethods.KillProcessGroup(pid, NativeMethods.SigKill);
        }

        if (pumps.All(p => p.Completion.IsCompleted))
        {
            return;
        }

        LogDrainAbandoned(pid);
        await readCancel.CancelAsync();
        if (await Task.WhenAny(completion, Task.Delay(ReadCancelTimeout)) != completion)
        {
            await process.StandardOutput.DisposeAsync();
            await process.StandardError.DisposeAsync();
            _ = completion.ContinueWith(t => t.Exception, TaskScheduler.Default);
        }
    }

    /// <summary>The program to exec and its arguments: <paramref name="executable"/>, behind prlimit and setpriv when the spec asks for them.</summary>
    internal static (string Executable, IReadOnlyList<string> Arguments) Launch(ProcessSpec spec, string executable)
    {
        IReadOnlyList<string> arguments = spec.Arguments;
        if (spec.RunAs is { } uid)
        {
            arguments = [.. AgentUsers.SwitchTo(uid), executable, .. arguments];
            executable = AgentUsers.SetPriv;
        }

        if (spec.MemoryMb is { } memoryMb)
        {
            arguments = [string.Create(CultureInfo.InvariantCulture, $"--as={memoryMb * 1024L * 1024L}"), "--", executable, .. arguments];
            executable = Prlimit;
        }

        return (executable, arguments);
    }

    internal static void KillTree(int pid)
    {
        // Process.Kill(true) first: it walks parent links, so it also reaches descendants that left the group
        // with their own setsid/setpgid, which it can only find while their parents are alive.
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already exited, or the tree walk raced with exiting processes; the group kill below still applies.
        }

        NativeMethods.KillProcessGroup(pid, NativeMethods.SigKill);
    }

    /// <summary>The signal a shell's exit code reports (128 + N), if it is one.</summary>
    internal static int? InferSignal(int? exitCode) =>
        exitCode is > 128 and <= 143 ? exitCode - 128 : null;

    /// <summary>
    /// Why <paramref name="spec"/> cannot start on this host (its working directory or its program missing), or null with
    /// the program resolved; the check every host runner makes before it starts anything.
    /// </summary>
    internal static string? WhyNotStartable(ProcessSpec spec, out string executable)
    {
        if (!Directory.Exists(spec.WorkingDirectory))
        {
            executable = spec.FileName;
            return $"cannot start '{spec.FileName}': working directory '{spec.WorkingDirectory}' does not exist";
        }

        if (!ExecutableResolver.TryResolve(spec.FileName, spec.WorkingDirectory, spec.Environment, out executable, out var error))
            return error;
        return spec.RunAs is { } uid ? ExecutableResolver.WhyNotExecutableBy(spec.FileName, executable, uid) : null;
    }

    ProcessOutcome StartFailed(string error, Stopwatch stopwatch)
    {
        LogStartFailed(error);
        return new ProcessOutcome(null, false, false, null, error, stopwatch.Elapsed);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Started {Executable} as pid {Pid} in a session of its own")]
    private partial void LogStarted(string executable, int pid);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Process {Pid} ended: exit code {ExitCode}, timed out {TimedOut}, cancelled {Cancelled}, after {Duration}")]
    private partial void LogExited(int pid, int? exitCode, bool timedOut, bool cancelled, TimeSpan duration);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Killing process group {Pid} on {Reason}")]
    private partial void LogKilling(int pid, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Process {Pid} did not exit after SIGKILL")]
    private partial void LogNotDead(int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopped reading output of process {Pid}: a process outside its group still holds the pipe open")]
    private partial void LogDrainAbandoned(int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Error}")]
    private partial void LogStartFailed(string error);
}
