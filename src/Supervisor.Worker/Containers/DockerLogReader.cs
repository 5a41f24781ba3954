using System.Buffers.Binary;

namespace Supervisor.Worker.Containers;

/// <summary>
/// Reads the engine's multiplexed output stream of a container without a TTY: frames of an 8-byte header (stream
/// type in byte 0: 1 stdout, 2 stderr; payload length big-endian in bytes 4–7) followed by the payload.
/// </summary>
public sealed class DockerLogReader(Stream source)
{
    readonly byte[] _header = new byte[8];

    /// <summary>The next frame, or null at the end of the stream. Its payload is only valid until the next call.</summary>
    public async ValueTask<(string Stream, ReadOnlyMemory<byte> Payload)?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        if (!await FillAsync(_header, cancellationToken))
            return null;

        var length = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(4));
        if (length > 16 * 1024 * 1024)
            throw new InvalidDataException($"Docker log frame of {length} bytes: not a multiplexed stream.");
        var payload = new byte[length];
        if (!await FillAsync(payload, cancellationToken))
            throw new EndOfStreamException("Docker log stream ended inside a frame.");
        var stream = _header[0] switch
        {
            1 => "stdout",
            2 => "stderr",
            0 => "stdin",
            var other => throw new InvalidDataException($"Docker log frame of unknown stream type {other}."),
        };
        return (stream, payload);
    }

    async ValueTask<bool> FillAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await source.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                if (read == 0)
                    return false;
                throw new EndOfStreamException("Docker log stream ended inside a frame.");
            }

            read += n;
        }

        return true;
    }
}
