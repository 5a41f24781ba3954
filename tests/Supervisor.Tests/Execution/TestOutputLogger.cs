using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Supervisor.Tests.Execution;

/// <summary>Routes a component's log to the test's output, so a failing test shows what the component saw, and keeps its lines.</summary>
sealed class TestOutputLogger<T>(ITestOutputHelper output) : ILogger<T>
{
    readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    /// <summary>How many lines logged so far match <paramref name="match"/>.</summary>
    public int Count(Func<string, bool> match) => _lines.Count(match);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        _lines.Enqueue(formatter(state, exception));
        try
        {
            output.WriteLine($"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
        }
        catch (InvalidOperationException)
        {
            // The test already finished; a late background log line has nowhere to go.
        }
    }
}
