using System.Text;
using Docker.DotNet;

namespace Supervisor.Worker.Containers;

/// <summary>
/// Turns a container's output frames into text for the caller, counting the bytes delivered per stream. The engine's
/// live log stream can end before the last lines of a container that just exited (Docker 20.10 does so when the
/// container exits right after writing), so once it has stopped the whole log is read again and only what the live
/// stream missed is delivered (<see cref="CatchUpAsync"/>).
/// </summary>
sealed class ContainerOutput(Func<string, string, ValueTask> onOutput)
{
    readonly Dictionary<string, StreamState> _streams = new(StringComparer.Ordinal);

    /// <summary>
    /// Reads the engine's multiplexed output stream of the container (no TTY) to its end: the live stream, or with
    /// <paramref name="catchUp"/> the whole log of the stopped container.
    /// </summary>
    public async Task ReadAsync(MultiplexedStream source, bool catchUp, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await source.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken);
            if (read.EOF)
                return;
            var stream = read.Target switch
            {
                MultiplexedStream.TargetStream.StandardOut => "stdout",
                MultiplexedStream.TargetStream.StandardError => "stderr",
                _ => "stdin",
            };
            var payload = buffer.AsMemory(0, read.Count);
            await (catchUp ? CatchUpAsync(stream, payload) : DeliverAsync(stream, payload));
        }
    }

    /// <summary>A piece of the live stream.</summary>
    public ValueTask DeliverAsync(string stream, ReadOnlyMemory<byte> payload)
    {
        var state = State(stream);
        state.Delivered += payload.Length;
        return DecodeAsync(stream, state, payload, flush: false);
    }

    /// <summary>A piece of the complete log read after the container stopped: delivered only past what the live stream gave.</summary>
    public ValueTask CatchUpAsync(string stream, ReadOnlyMemory<byte> payload)
    {
        var state = State(stream);
        var skip = (int)Math.Clamp(state.Delivered - state.Replayed, 0, payload.Length);
        state.Replayed += payload.Length;
        if (skip == payload.Length)
            return ValueTask.CompletedTask;
        state.Delivered += payload.Length - skip;
        return DecodeAsync(stream, state, payload[skip..], flush: false);
    }

    /// <summary>Bytes of an incomplete character at the very end come out as replacement characters.</summary>
    public async ValueTask CompleteAsync()
    {
        foreach (var (stream, state) in _streams)
            await DecodeAsync(stream, state, ReadOnlyMemory<byte>.Empty, flush: true);
    }

    StreamState State(string stream)
    {
        if (!_streams.TryGetValue(stream, out var state))
            _streams[stream] = state = new StreamState();
        return state;
    }

    ValueTask DecodeAsync(string stream, StreamState state, ReadOnlyMemory<byte> bytes, bool flush)
    {
        // One decoder per stream: a UTF-8 character may be split across frames and reads.
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length) + 2];
        var count = state.Decoder.GetChars(bytes.Span, chars, flush);
        return count > 0 ? onOutput(stream, new string(chars, 0, count)) : ValueTask.CompletedTask;
    }

    sealed class StreamState
    {
        public Decoder Decoder { get; } = Encoding.UTF8.GetDecoder();

        /// <summary>Bytes handed on so far.</summary>
        public long Delivered { get; set; }

        /// <summary>Bytes of the complete log read so far while catching up.</summary>
        public long Replayed { get; set; }
    }
}
