using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Supervisor.Rules.Redaction;

namespace Supervisor.Worker.Execution;

/// <summary>
/// Turns a process's raw output into a bounded series of redacted chunks for the broker. Text of one stream is
/// batched until it reaches the flush size, the other stream speaks, or the flush interval passes (a timer covers a
/// quiet process, so live logs never wait for the next write). Of the redacted output, the first half of
/// <c>maxBytes</c> is published live; after that only the last half is kept, and published by
/// <see cref="CompleteAsync"/> behind a marker that says how much was left out. Memory and message count therefore
/// stay bounded however chatty the agent is.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "CompleteAsync disposes the timer, which never repeats; the SemaphoreSlim never allocates a wait handle, so has nothing to free.")]
public sealed class OutputCollector
{
    public const string SystemStream = Supervisor.Rules.Interpretation.RetryWatch.SystemStream;

    const int RecentChars = 64 * 1024;

    readonly long _headBudget;
    readonly TimeSpan _flushInterval;
    readonly int _flushSize;
    readonly string[] _secrets;
    readonly Func<OutputChunk, Task> _publish;

    // ProcessRunner writes stdout and stderr from two tasks, and the timer flushes from a third.
    readonly SemaphoreSlim _gate = new(1, 1);
    readonly List<(string Stream, SecretRedactor Redactor)> _redactors = [];
    readonly RecentText _stdout = new(RecentChars);
    readonly RecentText _stderr = new(RecentChars);
    readonly TailBuffer _tail;
    readonly Timer _timer;

    readonly StringBuilder _batch = new();
    string _batchStream = "";
    long _batchBytes;
    DateTime _batchAt;
    long _batchStartedTicks;

    long _headBytes;
    bool _headClosed;
    bool _atLineStart = true;
    long _sequence;
    long _totalBytes;
    bool _completed;
    Exception? _timerFault;

    public OutputCollector(long maxBytes, TimeSpan flushInterval, int flushSize, IEnumerable<string> secrets, Func<OutputChunk, Task> publish)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 2);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(flushInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(flushSize, 4);
        ArgumentNullException.ThrowIfNull(secrets);
        ArgumentNullException.ThrowIfNull(publish);

        MaxBytes = maxBytes;
        _headBudget = maxBytes / 2;
        _tail = new TailBuffer(maxBytes - _headBudget);
        _flushInterval = flushInterval;
        _flushSize = flushSize;
        _secrets = secrets.ToArray();
        _publish = publish;
        _timer = new Timer(_ => _ = FlushOnTimerAsync());
    }

    public long MaxBytes { get; }

    /// <summary>UTF-8 bytes of redacted output seen so far, published or not.</summary>
    public long TotalBytes => Interlocked.Read(ref _totalBytes);

    /// <summary>Bytes left out between the head and the tail (known for certain once completed).</summary>
    public long OmittedBytes => _tail.DroppedBytes;

    /// <summary>Bytes currently held for the tail (at most half of <see cref="MaxBytes"/>).</summary>
    internal long RetainedTailBytes => _tail.Bytes;

    /// <summary>The last ~64 K characters of redacted stdout, whatever the cap.</summary>
    public string StdoutTail => _stdout.ToString();

    /// <summary>The last ~64 K characters of redacted stderr, whatever the cap.</summary>
    public string StderrTail => _stderr.ToString();

    /// <summary>Chunks published so far: the sequence number of the last one.</summary>
    public long Published => Interlocked.Read(ref _sequence);

    /// <summary>Accepts output of <paramref name="stream"/>; fits <see cref="ProcessRunner.RunAsync"/>'s callback.</summary>
    public async ValueTask WriteAsync(string stream, string text)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(text);
        await _gate.WaitAsync();
        try
        {
            ThrowIfFaulted();
            ObjectDisposedException.ThrowIf(_completed, this);
            await AcceptAsync(stream, RedactorFor(stream).Push(text), DateTime.UtcNow);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Publishes everything still held: redactor hold-backs, the open batch, and after a cut the marker and the tail.</summary>
    public async Task CompleteAsync()
    {
        await _gate.WaitAsync();
        try
        {
            ThrowIfFaulted();
            if (_completed)
            {
                return;
            }

            _completed = true;
            await _timer.DisposeAsync();
            var now = DateTime.UtcNow;
            foreach (var (stream, redactor) in _redactors)
            {
                await AcceptAsync(stream, redactor.Flush(), now);
            }

            await PublishBatchAsync();
            if (_tail.DroppedBytes > 0)
            {
                var marker = string.Create(CultureInfo.InvariantCulture, $"[supervisor: {_tail.DroppedBytes} bytes of output omitted]\n");
                await AppendToBatchAsync(SystemStream, _atLineStart ? marker : "\n" + marker, now);
            }

            foreach (var segment in _tail.Drain())
            {
                await AppendToBatchAsync(segment.Stream, segment.Text, segment.At);
            }

            await PublishBatchAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    SecretRedactor RedactorFor(string stream)
    {
        foreach (var (name, redactor) in _redactors)
        {
            if (name == stream)
            {
                return redactor;
            }
        }

        var created = new SecretRedactor(_secrets);
        _redactors.Add((stream, created));
        return created;
    }

    async Task AcceptAsync(string stream, string text, DateTime at)
    {
        if (text.Length == 0)
        {
            return;
        }

        Interlocked.Add(ref _totalBytes, Encoding.UTF8.GetByteCount(text));
        (stream switch { "stdout" => _stdout, "stderr" => _stderr, _ => null })?.Append(text);

        if (_headClosed)
        {
            _tail.Append(stream, text, at);
            return;
        }

        var fits = Utf8Size.PrefixFitting(text, _headBudget - _headBytes);
        if (fits == text.Length)
        {
            _headBytes += Encoding.UTF8.GetByteCount(text);
            await AppendToBatchAsync(stream, text, at);
            return;
        }

        // The head is full: what it holds goes out now, and from here on only the tail is kept.
        _headClosed = true;
        if (fits > 0)
        {
            await AppendToBatchAsync(stream, text[..fits], at);
        }

        await PublishBatchAsync();
        _tail.Append(stream, text[fits..], at);
    }

    async Task AppendToBatchAsync(string stream, string text, DateTime at)
    {
        var elapsed = TimeSpan.FromMilliseconds(Environment.TickCount64 - _batchStartedTicks);
        if (_batch.Length > 0 && (_batchStream != stream || elapsed >= _flushInterval))
        {
            await PublishBatchAsync();
        }

        while (text.Length > 0)
        {
            if (_batch.Length == 0)
            {
                _batchStream = stream;
                _batchAt = at;
                _batchStartedTicks = Environment.TickCount64;
                if (!_completed)
                {
                    _timer.Change(_flushInterval, Timeout.InfiniteTimeSpan);
                }
            }

            // Split so that no chunk exceeds the flush size (a message-size bound), but always make progress.
            var take = Utf8Size.PrefixFitting(text, _flushSize - _batchBytes);
            if (take == 0 && _batch.Length == 0)
            {
                take = char.IsHighSurrogate(text[0]) && text.Length > 1 ? 2 : 1;
            }

            var piece = text[..take];
            _batch.Append(piece);
            _batchBytes += Encoding.UTF8.GetByteCount(piece);
            text = text[take..];
            if (_batchBytes >= _flushSize || text.Length > 0)
            {
                await PublishBatchAsync();
            }
        }
    }

    async Task PublishBatchAsync()
    {
        if (_batch.Length == 0)
        {
            return;
        }

        var chunk = new OutputChunk(++_sequence, _batchStream, _batch.ToString(), _batchAt);
        _batch.Clear();
        _batchBytes = 0;
        _atLineStart = chunk.Text[^1] == '\n';
        await _publish(chunk);
    }

    async Task FlushOnTimerAsync()
    {
        try
        {
            await _gate.WaitAsync();
            try
            {
                if (_completed || _batch.Length == 0)
                {
                    return;
                }

                var due = _flushInterval - TimeSpan.FromMilliseconds(Environment.TickCount64 - _batchStartedTicks);
                if (due > TimeSpan.Zero)
                {
                    _timer.Change(due, Timeout.InfiniteTimeSpan);
                    return;
                }

                await PublishBatchAsync();
            }
            finally
            {
                _gate.Release();
            }
        }
        catch (Exception ex)
        {
            // Nobody awaits a timer callback: keep the failure and throw it to the next writer.
            _timerFault ??= ex;
        }
    }

    void ThrowIfFaulted()
    {
        if (_timerFault is { } fault)
        {
            throw new InvalidOperationException("Publishing output failed: " + fault.Message, fault);
        }
    }
}
