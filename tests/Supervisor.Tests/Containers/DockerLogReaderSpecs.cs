using System.Text;
using Supervisor.Worker.Containers;

namespace Supervisor.Tests.Containers;

public sealed class DockerLogReaderSpecs
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
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }

    [Fact]
    public async Task Frames_split_across_reads_come_back_whole_and_in_order()
    {
        var data = Frame(1, "out 1\n").Concat(Frame(2, "err é\n")).Concat(Frame(1, "")).Concat(Frame(1, "out 2\n")).ToArray();
        var frames = new DockerLogReader(new TrickleStream(data));

        var read = new List<(string, string)>();
        while (await frames.ReadFrameAsync(CancellationToken.None) is { } frame)
            read.Add((frame.Stream, Encoding.UTF8.GetString(frame.Payload.Span)));

        Assert.Equal([("stdout", "out 1\n"), ("stderr", "err é\n"), ("stdout", ""), ("stdout", "out 2\n")], read);
    }

    [Fact]
    public async Task A_stream_cut_inside_a_frame_is_an_error()
    {
        var data = Frame(1, "complete").Concat(Frame(2, "cut short")[..10]).ToArray();
        var frames = new DockerLogReader(new MemoryStream(data));

        Assert.NotNull(await frames.ReadFrameAsync(CancellationToken.None));
        await Assert.ThrowsAsync<EndOfStreamException>(async () => await frames.ReadFrameAsync(CancellationToken.None));
    }
}
