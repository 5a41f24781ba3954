using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Supervisor.Worker.Execution;

namespace Supervisor.Tests.Execution;

public sealed partial class OutputCollectorSpecs
{
    const string Secret = "hunter2-correct-horse-battery";
    static readonly TimeSpan Never = TimeSpan.FromHours(1);

    readonly List<OutputChunk> _published = [];

    [Fact]
    public async Task Switching_streams_publishes_one_chunk_per_run_with_increasing_sequence_numbers()
    {
        var collector = Collector(1024 * 1024, Never, 32 * 1024);

        await collector.WriteAsync("stdout", "a\n");
        await collector.WriteAsync("stdout", "b\n");
        await collector.WriteAsync("stderr", "c\n");
        await collector.WriteAsync("stdout", "d\n");
        await collector.CompleteAsync();

        Assert.Equal(
            [(1L, "stdout", "a\nb\n"), (2L, "stderr", "c\n"), (3L, "stdout", "d\n")],
            _published.Select(c => (c.Sequence, c.Stream, c.Text)));
        Assert.Equal(8, collector.TotalBytes);
    }

    [Fact]
    public async Task A_batch_that_reaches_the_flush_size_is_published_in_chunks_no_larger_than_it()
    {
        var collector = Collector(1024 * 1024, Never, 1000);
        var text = Lines(0, 5000);

        foreach (var piece in text.Chunk(777))
        {
            await collector.WriteAsync("stdout", new string(piece));
        }

        await collector.CompleteAsync();

        Assert.Equal(text, string.Concat(_published.Select(c => c.Text)));
        Assert.All(_published, c => Assert.InRange(Encoding.UTF8.GetByteCount(c.Text), 1, 1000));
        Assert.Equal(Enumerable.Range(1, _published.Count).Select(i => (long)i), _published.Select(c => c.Sequence));
    }

    [Fact]
    public async Task A_small_write_followed_by_quiet_is_published_within_the_flush_interval()
    {
        var published = new TaskCompletionSource<OutputChunk>(TaskCreationOptions.RunContinuationsAsynchronously);
        var collector = new OutputCollector(1024 * 1024, TimeSpan.FromMilliseconds(200), 32 * 1024, [Secret], chunk =>
        {
            published.TrySetResult(chunk);
            return Task.CompletedTask;
        });

        await collector.WriteAsync("stdout", "waiting for input> ");
        var chunk = await published.Task.WaitAsync(TimeSpan.FromSeconds(2));

        Assert.Equal(new OutputChunk(1, "stdout", "waiting for input> ", chunk.At), chunk);
    }

    [Fact]
    public async Task Output_beyond_the_cap_keeps_its_head_and_tail_and_marks_the_cut()
    {
        const int maxBytes = 64 * 1024;
        var collector = Collector(maxBytes, Never, 8 * 1024);
        var stdout = Lines(0, 40_000);
        foreach (var piece in stdout.Chunk(8192))
        {
            await collector.WriteAsync("stdout", new string(piece));
        }

        await collector.WriteAsync("stderr", "fatal: out of cheese\n");
        await collector.CompleteAsync();

        var marker = _published.Single(c => c.Stream == OutputCollector.SystemStream);
        var head = string.Concat(_published.TakeWhile(c => c != marker).Select(c => c.Text));
        var tail = _published.SkipWhile(c => c != marker).Skip(1).ToList();
        var total = Encoding.UTF8.GetByteCount(stdout) + 21;
        var omitted = long.Parse(OmittedBytes().Match(marker.Text).Groups["bytes"].Value, CultureInfo.InvariantCulture);

        Assert.Equal(total, collector.TotalBytes);
        Assert.Equal(stdout[..(maxBytes / 2)], head);
        Assert.Equal(total - maxBytes, omitted);
        Assert.Equal(omitted, collector.OmittedBytes);
        Assert.Equal(maxBytes / 2, tail.Sum(c => Encoding.UTF8.GetByteCount(c.Text)));
        Assert.Equal("stderr", tail[^1].Stream);
        Assert.Equal("fatal: out of cheese\n", tail[^1].Text);
        Assert.EndsWith(stdout[^1000..], string.Concat(tail.Where(c => c.Stream == "stdout").Select(c => c.Text)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fifty_megabytes_through_a_small_cap_stay_bounded_in_memory_and_messages()
    {
        var collector = Collector(64 * 1024, TimeSpan.FromMilliseconds(200), 32 * 1024);
        var block = Lines(0, 1000)[..8000];

        for (var written = 0L; written < 50L * 1024 * 1024; written += block.Length)
        {
            await collector.WriteAsync(written % 3 == 0 ? "stderr" : "stdout", block);
            Assert.InRange(collector.RetainedTailBytes, 0, 32 * 1024);
        }

        await collector.CompleteAsync();

        Assert.InRange(_published.Count, 3, 16);
        Assert.InRange(collector.StdoutTail.Length, 1, 64 * 1024);
        Assert.InRange(collector.StderrTail.Length, 1, 64 * 1024);
        Assert.True(collector.TotalBytes >= 50L * 1024 * 1024);
    }

    [Fact]
    public async Task A_secret_split_across_writes_never_appears_in_any_chunk()
    {
        var text = $"export TOKEN={Secret}\nexport KEY=sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv\n";

        for (var i = 0; i <= text.Length; i++)
        {
            _published.Clear();
            var collector = Collector(1024 * 1024, Never, 16);
            await collector.WriteAsync("stdout", text[..i]);
            await collector.WriteAsync("stdout", text[i..]);
            await collector.CompleteAsync();

            var output = string.Concat(_published.Select(c => c.Text));
            Assert.Equal("export TOKEN=[REDACTED]\nexport KEY=[REDACTED]\n", output);
            Assert.All(_published, c => Assert.DoesNotContain("hunter2", c.Text, StringComparison.Ordinal));
            Assert.DoesNotContain("hunter2", collector.StdoutTail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Concurrent_streams_keep_each_stream_in_order()
    {
        var collector = Collector(16 * 1024 * 1024, TimeSpan.FromMilliseconds(5), 512);
        var stdout = Lines(0, 3000);
        var stderr = Lines(10_000, 3000);

        await Task.WhenAll(
            Task.Run(async () => { foreach (var piece in stdout.Chunk(100)) await collector.WriteAsync("stdout", new string(piece)); }),
            Task.Run(async () => { foreach (var piece in stderr.Chunk(70)) await collector.WriteAsync("stderr", new string(piece)); }));
        await collector.CompleteAsync();

        Assert.Equal(stdout, string.Concat(_published.Where(c => c.Stream == "stdout").Select(c => c.Text)));
        Assert.Equal(stderr, string.Concat(_published.Where(c => c.Stream == "stderr").Select(c => c.Text)));
        Assert.Equal(Enumerable.Range(1, _published.Count).Select(i => (long)i), _published.Select(c => c.Sequence));
        Assert.EndsWith("line 2999\n", collector.StdoutTail, StringComparison.Ordinal);
        Assert.EndsWith("line 12999\n", collector.StderrTail, StringComparison.Ordinal);
    }

    OutputCollector Collector(long maxBytes, TimeSpan flushInterval, int flushSize) =>
        new(maxBytes, flushInterval, flushSize, [Secret], chunk =>
        {
            lock (_published)
            {
                _published.Add(chunk);
            }

            return Task.CompletedTask;
        });

    static string Lines(int first, int count) =>
        string.Concat(Enumerable.Range(first, count).Select(i => string.Create(CultureInfo.InvariantCulture, $"line {i}\n")));

    [GeneratedRegex(@"\[supervisor: (?<bytes>\d+) bytes of output omitted\]", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex OmittedBytes();
}
