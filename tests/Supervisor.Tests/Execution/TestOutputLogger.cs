using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Supervisor.Tests.Execution;

/// <summary>Routes a component's log to the test's output, so a failing test shows what the component saw.</summary>
sealed class TestOutputLogger<T>(ITestOutputHelper output) : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
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
