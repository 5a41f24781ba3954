using System.Text;

namespace Supervisor.Worker.Execution;

/// <summary>UTF-8 sizes of strings, counted without encoding them and never splitting a surrogate pair.</summary>
static class Utf8Size
{
    public static int Of(char c) => c < 0x80 ? 1 : c < 0x800 ? 2 : 3;

    /// <summary>The number of leading chars of <paramref name="text"/> whose UTF-8 form fits in <paramref name="maxBytes"/>.</summary>
    public static int PrefixFitting(string text, long maxBytes)
    {
        long bytes = 0;
        var i = 0;
        while (i < text.Length)
        {
            var (width, chars) = At(text, i);
            if (bytes + width > maxBytes)
            {
                break;
            }

            bytes += width;
            i += chars;
        }

        return i;
    }

    /// <summary>The smallest char index before which at least <paramref name="bytes"/> UTF-8 bytes of <paramref name="text"/> lie.</summary>
    public static int IndexAfterBytes(string text, long bytes)
    {
        long seen = 0;
        var i = 0;
        while (i < text.Length && seen < bytes)
        {
            var (width, chars) = At(text, i);
            seen += width;
            i += chars;
        }

        return i;
    }

    static (int Bytes, int Chars) At(string text, int i) =>
        char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? (4, 2) : (Of(text[i]), 1);
}

/// <summary>
/// The last <c>capacity</c> UTF-8 bytes of output, with stream labels, for the tail that follows a truncation.
/// Memory stays bounded however much passes through; tiny writes are merged so the segment count stays small too.
/// </summary>
sealed class TailBuffer(long capacity)
{
    const int MergeBelowChars = 4096;

    readonly LinkedList<Segment> _segments = new();

    public long Bytes { get; private set; }

    public long DroppedBytes { get; private set; }

    public bool IsEmpty => _segments.Count == 0;

    public void Append(string stream, string text, DateTime at)
    {
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (_segments.Last is { } last && last.Value.Stream == stream && last.Value.Text.Length < MergeBelowChars)
        {
            last.Value = last.Value with { Text = last.Value.Text + text, Bytes = last.Value.Bytes + bytes };
        }
        else
        {
            _segments.AddLast(new Segment(stream, text, bytes, at));
        }

        Bytes += bytes;
        while (Bytes > capacity && _segments.First is { } first)
        {
            var excess = Bytes - capacity;
            if (first.Value.Bytes <= excess)
            {
                _segments.RemoveFirst();
                Bytes -= first.Value.Bytes;
                DroppedBytes += first.Value.Bytes;
                continue;
            }

            var kept = first.Value.Text[Utf8Size.IndexAfterBytes(first.Value.Text, excess)..];
            var keptBytes = Encoding.UTF8.GetByteCount(kept);
            Bytes -= first.Value.Bytes - keptBytes;
            DroppedBytes += first.Value.Bytes - keptBytes;
            first.Value = first.Value with { Text = kept, Bytes = keptBytes };
        }
    }

    public IReadOnlyList<Segment> Drain()
    {
        var segments = _segments.ToList();
        _segments.Clear();
        Bytes = 0;
        return segments;
    }

    public sealed record Segment(string Stream, string Text, long Bytes, DateTime At);
}

/// <summary>The most recent text of one stream, kept for failure classification and the result summary.</summary>
sealed class RecentText(int capacityChars)
{
    readonly StringBuilder _text = new();
    readonly Lock _lock = new();

    public void Append(string text)
    {
        lock (_lock)
        {
            _text.Append(text);

            // Trim only once the builder holds twice the capacity, so appending stays amortised O(1).
            if (_text.Length > 2 * capacityChars)
            {
                _text.Remove(0, _text.Length - capacityChars);
            }
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            var start = Math.Max(0, _text.Length - capacityChars);
            if (start < _text.Length && char.IsLowSurrogate(_text[start]))
            {
                start++;
            }

            return _text.ToString(start, _text.Length - start);
        }
    }
}
