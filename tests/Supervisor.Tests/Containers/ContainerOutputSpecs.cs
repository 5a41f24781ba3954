using System.Text;
using Docker.DotNet;
using Supervisor.Worker.Containers;

namespace Supervisor.Tests.Containers;

public sealed class ContainerOutputSpecs
{
    static byte[] Frame(byte stream, string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var frame = new byte[8 + payload.Length];
        frame[0] = stream;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)payload.Length);
        payload.CopyTo(frame, 8);
        return frame;
    }

    /// <summary>Hands out at most one byte per read, as a slow socket may.</summary>
    sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(1, count), cancellationToken);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }

    /// <summary>Collects the text per stream.</summary>
    sealed class Text
    {
        readonly Dictionary<string, StringBuilder> _streams = [];

        public ValueTask WriteAsync(string stream, string text)
        {
            if (!_streams.TryGetValue(stream, out var builder))
                _streams[stream] = builder = new StringBuilder();
            builder.Append(text);
            return ValueTask.CompletedTask;
        }

        public string Of(string stream) => _streams.TryGetValue(stream, out var builder) ? builder.ToString() : "";
    }

    [Fact]
    public async Task Frames_split_across_reads_come_back_whole_per_stream_and_in_order()
    {
        var data = Frame(1, "out 1\n").Concat(Frame(2, "err é\n")).Concat(Frame(1, "")).Concat(Frame(1, "out 2 😀\n")).ToArray();
        var text = new Text();
        var output = new ContainerOutput(text.WriteAsync);

        await output.ReadAsync(new MultiplexedStream(new TrickleStream(data), multiplexed: true), catchUp: false, CancellationToken.None);
        await output.CompleteAsync();

        Assert.Equal(("out 1\nout 2 😀\n", "err é\n"), (text.Of("stdout"), text.Of("stderr")));
    }

    [Fact]
    public async Task A_stream_cut_inside_a_frame_is_an_error()
    {
        var data = Frame(1, "complete").Concat(Frame(2, "cut short")[..10]).ToArray();
        var output = new ContainerOutput(new Text().WriteAsync);

        await Assert.ThrowsAsync<EndOfStreamException>(() =>
            output.ReadAsync(new MultiplexedStream(new MemoryStream(data), multiplexed: true), catchUp: false, CancellationToken.None));
    }

    [Fact]
    public async Task Catching_up_delivers_only_what_the_live_stream_missed()
    {
        var text = new Text();
        var output = new ContainerOutput(text.WriteAsync);
        var whole = Frame(1, "one\n").Concat(Frame(2, "oops\n")).Concat(Frame(1, "two\n")).ToArray();

        await output.ReadAsync(new MultiplexedStream(new MemoryStream(Frame(1, "one\n")), multiplexed: true), catchUp: false, CancellationToken.None);
        await output.ReadAsync(new MultiplexedStream(new MemoryStream(whole), multiplexed: true), catchUp: true, CancellationToken.None);
        await output.CompleteAsync();

        Assert.Equal(("one\ntwo\n", "oops\n"), (text.Of("stdout"), text.Of("stderr")));
    }
}
