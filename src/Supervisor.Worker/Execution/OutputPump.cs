using System.Text;

namespace Supervisor.Worker.Execution;

/// <summary>
/// Reads one of a child's output pipes to the end and hands each decoded piece to the consumer, awaiting it so that
/// a slow consumer slows the child instead of filling memory. Knows how long it has been waiting on an empty pipe,
/// which is how the runner tells "still delivering buffered output" from "a stray process holds the pipe open".
/// </summary>
sealed class OutputPump
{
    const int BufferBytes = 8192;

    long _waitingSince;

    OutputPump(Stream stream, string name, Func<string, string, ValueTask> onOutput, Action onConsumerFailed, CancellationToken readToken)
    {
        Stream = stream;
        Completion = RunAsync(stream, name, onOutput, onConsumerFailed, readToken);
    }

    /// <summary>The pipe read; closing it ends a read that does not honour cancellation.</summary>
    public Stream Stream { get; }

    /// <summary>Ends at end of stream or when reading is cancelled; faults only when the consumer threw.</summary>
    public Task Completion { get; }

    /// <summary>How long the current read has waited for data; zero while the consumer is busy.</summary>
    public TimeSpan IdleFor
    {
        get
        {
            var since = Volatile.Read(ref _waitingSince);
            return since == 0 || Completion.IsCompleted ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Environment.TickCount64 - since);
        }
    }

    public static OutputPump Start(
        Stream stream,
        string name,
        Func<string, string, ValueTask> onOutput,
        Action onConsumerFailed,
        CancellationToken readToken) =>
        new(stream, name, onOutput, onConsumerFailed, readToken);

    async Task RunAsync(Stream stream, string name, Func<string, string, ValueTask> onOutput, Action onConsumerFailed, CancellationToken readToken)
    {
        // Let the constructor return before the first read blocks.
        await Task.Yield();

        // Raw reads rather than lines: output without a newline (prompts, progress) must arrive too. The decoder keeps
        // a multi-byte character that straddles two reads whole.
        var decoder = Encoding.UTF8.GetDecoder();
        var bytes = new byte[BufferBytes];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(BufferBytes)];
        while (true)
        {
            int read;
            Volatile.Write(ref _waitingSince, Environment.TickCount64);
            try
            {
                read = await stream.ReadAsync(bytes, readToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
            {
                return;
            }
            finally
            {
                Volatile.Write(ref _waitingSince, 0);
            }

            var count = decoder.GetChars(bytes, 0, read, chars, 0, flush: read == 0);
            if (count > 0)
            {
                try
                {
                    await onOutput(name, new string(chars, 0, count));
                }
                catch
                {
                    onConsumerFailed();
                    throw;
                }
            }

            if (read == 0)
            {
                return;
            }
        }
    }
}
