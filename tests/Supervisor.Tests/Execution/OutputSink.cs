using System.Text;
using Supervisor.Worker.Execution;

namespace Supervisor.Tests.Execution;

/// <summary>Records output per stream as <see cref="ProcessRunner"/> delivers it.</summary>
sealed class OutputSink(Action<string>? onText = null)
{
    readonly Lock _lock = new();
    readonly Dictionary<string, (StringBuilder Text, int Chunks)> _streams = [];

    public ValueTask WriteAsync(string stream, string text)
    {
        lock (_lock)
        {
            var (builder, chunks) = _streams.TryGetValue(stream, out var entry) ? entry : (new StringBuilder(), 0);
            _streams[stream] = (builder.Append(text), chunks + 1);
        }

        onText?.Invoke(text);
        return ValueTask.CompletedTask;
    }

    public string Text(string stream)
    {
        lock (_lock)
        {
            return _streams.TryGetValue(stream, out var entry) ? entry.Text.ToString() : "";
        }
    }

    public int ChunkCount(string stream)
    {
        lock (_lock)
        {
            return _streams.TryGetValue(stream, out var entry) ? entry.Chunks : 0;
        }
    }
}
