using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using CliWrap;
using Supervisor.Rules;

namespace Supervisor.Worker.Execution;

/// <summary>
/// Runs an attempt's short commands (hooks, the task's verify command) with CliWrap, keeping the guarantees of
/// <see cref="ProcessRunner"/>: only the configured environment, a session of its own with every signal at its default,
/// output streamed with back-pressure, and everything the command started killed on timeout, on cancellation and after
/// it exits. CliWrap starts programs through <see cref="Process"/>, which can neither start a session nor reset the
/// signals the runtime ignores (SIGPIPE), so the program is exec'd through <c>setsid</c> and <c>env --default-signal</c>
/// (same pid, no fork): two execs, nothing beside a hook or a test suite, too much in front of every agent
/// (docs/benchmarks.md), which is why agents keep <see cref="SpawnedProcess"/>.
/// </summary>
public sealed partial class CommandRunner(ILogger<CommandRunner> logger, AgentProcessLedger? ledger = null)
{
    const string SetSid = "/usr/bin/setsid";
    const string Env = "/usr/bin/env";

    static readonly TimeSpan MaxDrain = TimeSpan.FromSeconds(30);
    static readonly TimeSpan DrainPollInterval = TimeSpan.FromMilliseconds(100);
    static readonly TimeSpan KillSettleTime = TimeSpan.FromMilliseconds(500);
    static readonly TimeSpan KillWaitTimeout = TimeSpan.FromSeconds(10);
    static readonly TimeSpan ReadCancelTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Same contract as <see cref="ProcessRunner.RunAsync"/>.</summary>
    public async Task<ProcessOutcome> RunAsync(ProcessSpec spec, Func<string, string, ValueTask> onOutput, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(onOutput);

        var stopwatch = Stopwatch.StartNew();
        if (cancellationToken.IsCancellationRequested)
            return new ProcessOutcome(null, false, true, null, null, stopwatch.Elapsed);
        if (ProcessRunner.WhyNotStartable(spec, out var executable) is { } notStartable)
            return StartFailed(notStartable, stopwatch);

        // Our own stop for CliWrap: it ends reading only when a stray process outside the group holds a pipe open.
        using var abandon = new CancellationTokenSource();
        using var abort = new CancellationTokenSource();
        var pumps = new OutputPump?[2];
        Task<int?> exited = Task.FromResult<int?>(null);
        CommandTask<CommandResult> execution;
        try
        {
            var (program, arguments) = ProcessRunner.Launch(spec, executable);
            execution = Cli.Wrap(SetSid)
                .WithArguments([Env, "--default-signal", "--", program, .. arguments])
                .WithWorkingDirectory(spec.WorkingDirectory)
                .WithStandardInputPipe(spec.StandardInput is null ? PipeSource.Null : PipeSource.FromString(spec.StandardInput, new UTF8Encoding(false)))
                .WithStandardOutputPipe(Pump(0, "stdout"))
                .WithStandardErrorPipe(Pump(1, "stderr"))
                .WithValidation(CommandResultValidation.None)
                .ExecuteAsync(OnlyConfiguredEnvironment, process => exited = ExitCodeAsync(process), abandon.Token, CancellationToken.None);
        }
        catch (Win32Exception ex)
        {
            return StartFailed($"cannot start '{spec.FileName}' through {SetSid} and {Env} (util-linux and coreutils): {ex.InnerException?.Message ?? ex.Message}", stopwatch);
        }

        var pid = execution.ProcessId;
        LogStarted(executable, pid);
        ledger?.Add(pid);
        try
        {
            var (timedOut, cancelled) = await WaitForExitOrKillAsync(exited, pid, spec.Timeout, abort, cancellationToken);
            await DrainAsync(exited, pid, pumps, execution.Task, abandon);
            int? exitCode;
            try
            {
                exitCode = (await execution).ExitCode;
            }
            catch (OperationCanceledException) when (abandon.IsCancellationRequested)
            {
                // CliWrap reports no result for a run it was told to stop; the exit code was read when the process exited.
                LogDrainAbandoned(pid);
                exitCode = exited.IsCompletedSuccessfully ? await exited : null;
            }

            int? signal = timedOut || cancelled ? NativeMethods.SigKill : ProcessRunner.InferSignal(exitCode);
            return new ProcessOutcome(exitCode, timedOut, cancelled, signal, null, stopwatch.Elapsed);
        }
        finally
        {
            ledger?.Remove(pid);
        }

        void OnlyConfiguredEnvironment(ProcessStartInfo start) => OnlyEnvironment(start, ledger?.Marked(spec.Environment) ?? spec.Environment);

        PipeTarget Pump(int index, string name) => PipeTarget.Create((stream, token) =>
            (pumps[index] = OutputPump.Start(stream, name, onOutput, abort.Cancel, token)).Completion);
    }

    /// <summary>The exit code as the shell reports it, or null when CliWrap disposed the process first.</summary>
    static async Task<int?> ExitCodeAsync(Process process)
    {
        try
        {
            await process.WaitForExitAsync();
            return process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    async Task<(bool TimedOut, bool Cancelled)> WaitForExitOrKillAsync(Task<int?> exited, int pid, TimeSpan timeout, CancellationTokenSource abort,
        CancellationToken cancellationToken)
    {
        var hasLimit = timeout > TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan;
        using var deadline = hasLimit ? new CancellationTokenSource(timeout) : new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token, abort.Token);
        try
        {
            await exited.WaitAsync(stop.Token);
            return (false, false);
        }
        catch (OperationCanceledException)
        {
            var cancelled = cancellationToken.IsCancellationRequested;
            var timedOut = !cancelled && deadline.IsCancellationRequested;
            LogKilling(pid, timedOut ? "timeout" : cancelled ? "cancellation" : "output consumer failure");
            ProcessRunner.KillTree(pid);
            try
            {
                await exited.WaitAsync(KillWaitTimeout, CancellationToken.None);
            }
            catch (TimeoutException)
            {
                LogNotDead(pid);
            }

            return (timedOut, cancelled);
        }
    }

    /// <summary>
    /// As <see cref="ProcessRunner"/> drains: buffered output is read however long the consumer takes; leftovers in the
    /// group are killed <see cref="ProcessRunner.DrainTimeout"/> after the exit; a pipe a process outside the group holds
    /// open is given up on once it has been idle that long.
    /// </summary>
    static async Task DrainAsync(Task<int?> exited, int pid, OutputPump?[] pumps, Task execution, CancellationTokenSource abandon)
    {
        await ((Task)exited).WaitAsync(KillWaitTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var sinceExit = Stopwatch.StartNew();
        var sinceKill = Stopwatch.StartNew();
        var groupKilled = false;
        while (!execution.IsCompleted)
        {
            if (!groupKilled && sinceExit.Elapsed >= ProcessRunner.DrainTimeout)
            {
                NativeMethods.KillProcessGroup(pid, NativeMethods.SigKill);
                groupKilled = true;
                sinceKill.Restart();
            }

            var idle = pumps.Min(p => p is null || p.Completion.IsCompleted ? TimeSpan.MaxValue : p.IdleFor);
            if ((groupKilled && idle >= ProcessRunner.DrainTimeout && sinceKill.Elapsed >= KillSettleTime) || sinceExit.Elapsed >= MaxDrain)
            {
                await abandon.CancelAsync();
                if (await Task.WhenAny(execution, Task.Delay(ReadCancelTimeout)) != execution)
                {
                    // A read that ignores cancellation ends when its pipe is closed under it.
                    foreach (var pump in pumps)
                        pump?.Stream.Dispose();
                }

                break;
            }

            await Task.WhenAny(execution, Task.Delay(DrainPollInterval));
        }

        if (!groupKilled)
            NativeMethods.KillProcessGroup(pid, NativeMethods.SigKill);
    }

    ProcessOutcome StartFailed(string error, Stopwatch stopwatch)
    {
        LogStartFailed(error);
        return new ProcessOutcome(null, false, false, null, error, stopwatch.Elapsed);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Started {Executable} as pid {Pid} in a session of its own (CliWrap)")]
    partial void LogStarted(string executable, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Killing process group {Pid} on {Reason}")]
    partial void LogKilling(int pid, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Process {Pid} did not exit after SIGKILL")]
    partial void LogNotDead(int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopped reading output of process {Pid}: a process outside its group still holds the pipe open")]
    partial void LogDrainAbandoned(int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Error}")]
    partial void LogStartFailed(string error);

    /// <summary>
    /// The child's environment is <paramref name="environment"/> and nothing else: CliWrap starts from a copy of the worker's
    /// and can only override or remove (null) names one by one; its raw start info clears it, so nothing of the worker's leaks.
    /// </summary>
    internal static void OnlyEnvironment(ProcessStartInfo start, IEnumerable<KeyValuePair<string, string>> environment)
    {
        start.Environment.Clear();
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
    }
}
