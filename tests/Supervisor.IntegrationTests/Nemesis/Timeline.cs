using System.Globalization;
using Supervisor.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Supervisor.IntegrationTests.Nemesis;

/// <summary>
/// The campaign's log: every line with its offset from the start and its UTC time, to the test's output and, as it
/// happens (a run killed half-way still leaves it), to <c>.data/nemesis/seed-SEED.log</c>.
/// </summary>
sealed class Timeline : IDisposable
{
    readonly ITestOutputHelper _output;
    readonly StreamWriter _file;
    readonly DateTime _start = DateTime.UtcNow;
    readonly Lock _gate = new();

    public Timeline(ITestOutputHelper output, int seed)
    {
        _output = output;
        var directory = Path.Combine(TestEnvironment.RepositoryRoot, ".data", "nemesis");
        Directory.CreateDirectory(directory);
        FilePath = Path.Combine(directory, $"seed-{seed}.log");
        _file = new StreamWriter(FilePath, append: false) { AutoFlush = true };
    }

    public string FilePath { get; }

    public TimeSpan Elapsed => DateTime.UtcNow - _start;

    public void Log(string message)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"[{Elapsed.TotalSeconds,7:0.0}s {DateTime.UtcNow:HH:mm:ss.fff}] {message}");
        lock (_gate)
        {
            _file.WriteLine(line);
            try
            {
                _output.WriteLine(line);
            }
            catch (InvalidOperationException)
            {
                // a late action logging after the test ended: the file keeps it
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
            _file.Dispose();
    }
}
