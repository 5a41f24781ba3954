using System.Globalization;
using System.Text;
using CliWrap;

namespace Supervisor.IntegrationTests.Infrastructure;

/// <summary>
/// A real Supervisor process (service or worker) started with <c>dotnet</c> through CliWrap, its output kept in a log file
/// as it comes. Signals are sent with <c>kill</c> to this process alone: CliWrap's own cancellation sends SIGINT or kills
/// the whole tree, and a test that kills a worker must leave its agents (in sessions of their own) alive, as a crash does.
/// </summary>
sealed class HostProcess : IAsyncDisposable
{
    readonly StreamWriter _log;
    readonly StringBuilder _recent = new();
    CommandTask<CommandResult>? _execution;

    HostProcess(string name, StreamWriter log, string logFile)
    {
        Name = name;
        _log = log;
        LogFile = logFile;
    }

    public string Name { get; }

    /// <summary>Where the process's whole output is kept (under .data/test-logs).</summary>
    public string LogFile { get; }

    public int Pid => Execution.ProcessId;

    /// <summary>The process exited and its output was read to the end.</summary>
    public bool HasExited => Execution.Task.IsCompleted;

    CommandTask<CommandResult> Execution => _execution ?? throw new InvalidOperationException($"{Name} was not started.");

    /// <summary>Completes with the process's exit code when it exits.</summary>
    public async Task<int> WaitForExitAsync() => (await Execution).ExitCode;

    /// <summary>Sends <paramref name="signal"/> (a name such as STOP, CONT, TERM, KILL) to <paramref name="pid"/>.</summary>
    public static async Task SignalAsync(string signal, int pid) =>
        await CliWrap.Cli.Wrap("kill").WithArguments([$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]).ExecuteAsync();

    public static HostProcess Start(string name, string assemblyPath, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        if (!File.Exists(assemblyPath))
            throw new FileNotFoundException($"{assemblyPath} is not built; build the solution first (scripts/test.sh does).");

        Directory.CreateDirectory(TestEnvironment.LogDirectory);
        var logFile = Path.Combine(TestEnvironment.LogDirectory, $"{name}-{DateTime.UtcNow:HHmmss}-{Guid.NewGuid():N}"[..(name.Length + 12)] + ".log");
        var log = new StreamWriter(logFile)
        {
            AutoFlush = true,
        };
        var host = new HostProcess(name, log, logFile);
        var lines = PipeTarget.ToDelegate(host.Append);
        host._execution = CliWrap.Cli.Wrap("dotnet")
            .WithArguments([assemblyPath, .. arguments])
            .WithWorkingDirectory(Path.GetDirectoryName(assemblyPath)!)
            .WithEnvironmentVariables(e => e
                .Set("DOTNET_ENVIRONMENT", "Production")
                .Set("MASSTRANSIT_USAGE_TELEMETRY", "false")
                .Set(environment.ToDictionary(v => v.Key, string? (v) => v.Value)))
            .WithStandardOutputPipe(lines)
            .WithStandardErrorPipe(lines)
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync();
        return host;
    }

    /// <summary>The last lines the process printed, for failure messages.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_recent)
                return _recent.ToString();
        }
    }

    void Append(string line)
    {
        lock (_recent)
        {
            _log.WriteLine(line);
            _recent.AppendLine(line);
            if (_recent.Length > 16_000)
                _recent.Remove(0, _recent.Length - 12_000);
        }
    }

    /// <summary>SIGKILL: the process gets no chance to clean up.</summary>
    public async Task KillAsync()
    {
        if (HasExited)
            return;
        await SignalAsync("KILL", Pid);
        await Execution;
    }

    /// <summary>SIGTERM, then wait for a clean exit.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (HasExited)
            return;
        await SignalAsync("TERM", Pid);
        try
        {
            await Execution.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            await KillAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(15));
        Execution.Dispose();
        lock (_recent)
            _log.Dispose();
    }
}
