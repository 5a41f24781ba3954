using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Supervisor.Contracts;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Logs;

/// <summary>
/// A task's output as server-sent events (written by ASP.NET Core's <c>TypedResults.ServerSentEvents</c>) as it is stored:
/// a <c>chunk</c> event per chunk, in order per attempt (a chunk is sent only after its predecessor), and an <c>end</c>
/// event once the task has ended and every chunk its attempts reported has been sent.
/// <para>
/// One feed per followed task reads the database (through the followers' own pool, <see cref="ILogFollowerReads"/>) and
/// fans what it reads out to all that task's followers in memory: 500 followers of a task cost the reads of one. A feed
/// wakes when the log store appends chunks, with a slow timer as a safety net, and stops when its task has ended or its
/// last follower has left. A follower who joins late is sent what the feed has sent so far first.
/// </para>
/// </summary>
public sealed partial class LogFollower(ILogFollowerReads reads, ILogStore logs, ILogger<LogFollower> logger)
{
    readonly Lock _lock = new();
    readonly Dictionary<Guid, Feed> _feeds = [];
    int _following;

    /// <summary>Streams being served now.</summary>
    public int Following => Volatile.Read(ref _following);

    public const string ChunkEvent = "chunk";

    public const string EndEvent = "end";

    static readonly TimeSpan EndGrace = TimeSpan.FromSeconds(5);

    /// <summary>Whether the task exists, read through the followers' pool.</summary>
    public async Task<bool> ExistsAsync(Guid taskId, CancellationToken cancellationToken) =>
        await reads.ProgressAsync(taskId, cancellationToken) is not null;

    /// <summary>
    /// The events of <paramref name="taskId"/>'s stream. Enumerated by the result once it has set the content type, so the
    /// first step sends the headers at once: a client waiting for them (the CLI gives up after 30 s) does not have to wait
    /// for the task's first output.
    /// </summary>
    public async IAsyncEnumerable<SseItem<object>> StreamAsync(Guid taskId, HttpResponse response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The result has set the content type and turned caching off; this tells a proxy in front (nginx) not to buffer.
        response.Headers["X-Accel-Buffering"] = "no";
        await response.Body.FlushAsync(cancellationToken);

        Interlocked.Increment(ref _following);
        var (feed, inbox) = Join(taskId);
        try
        {
            while (await WaitToReadAsync(inbox.Reader, taskId, cancellationToken))
            {
                while (inbox.Reader.TryRead(out var item))
                    yield return item;
            }
        }
        finally
        {
            Leave(feed, inbox);
            Interlocked.Decrement(ref _following);
        }
    }

    /// <summary>Until there is something to send; false once the feed has ended or the client has gone.</summary>
    async ValueTask<bool> WaitToReadAsync(ChannelReader<SseItem<object>> reader, Guid taskId, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.WaitToReadAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            LogFollowerLeft(taskId);
            return false;
        }
    }

    (Feed Feed, Channel<SseItem<object>> Inbox) Join(Guid taskId)
    {
        var inbox = Channel.CreateUnbounded<SseItem<object>>(new UnboundedChannelOptions { SingleReader = true });
        lock (_lock)
        {
            if (!_feeds.TryGetValue(taskId, out var feed))
            {
                feed = new Feed(taskId);
                _feeds[taskId] = feed;
                // Nothing awaits the feed: RunAsync ends its followers and logs whatever stops it.
                _ = Task.Run(() => RunAsync(feed));
            }

            foreach (var item in feed.Sent)
                inbox.Writer.TryWrite(item);
            feed.Followers.Add(inbox);
            return (feed, inbox);
        }
    }

    void Leave(Feed feed, Channel<SseItem<object>> inbox)
    {
        lock (_lock)
        {
            feed.Followers.Remove(inbox);
            if (feed.Followers.Count == 0 && _feeds.GetValueOrDefault(feed.TaskId) == feed)
            {
                // Nobody left to read it: the feed stops, and the next follower starts a new one.
                _feeds.Remove(feed.TaskId);
                feed.Stop.Cancel();
            }
        }
    }

    /// <summary>Sends <paramref name="items"/> to every follower of the feed; <paramref name="last"/>: and ends them.</summary>
    void Send(Feed feed, List<SseItem<object>> items, bool last)
    {
        lock (_lock)
        {
            feed.Sent.AddRange(items);
            foreach (var inbox in feed.Followers)
            {
                foreach (var item in items)
                    inbox.Writer.TryWrite(item);
                if (last)
                    inbox.Writer.TryComplete();
            }

            if (last && _feeds.GetValueOrDefault(feed.TaskId) == feed)
                _feeds.Remove(feed.TaskId);
        }
    }

    async Task RunAsync(Feed feed)
    {
        var cancellationToken = feed.Stop.Token;
        try
        {
            await using var appends = await logs.ListenAsync(cancellationToken);
            var sent = new Dictionary<Guid, long>();
            DateTime? endedSeen = null;
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    // Read the task's progress before the chunks: when it has ended, every chunk stored by now is final.
                    var progress = await reads.ProgressAsync(feed.TaskId, cancellationToken);
                    var items = new List<SseItem<object>>();
                    foreach (var chunk in NewChunks(await reads.ReadAfterAsync(feed.TaskId, sent, cancellationToken), sent))
                        items.Add(new SseItem<object>(chunk, ChunkEvent));

                    var ended = false;
                    if (progress is null || TaskStates.Terminal.Contains(progress.State, StringComparer.Ordinal))
                    {
                        endedSeen ??= DateTime.UtcNow;
                        var complete = progress is null || (progress.AllReported && progress.ReportedChunks <= sent.Values.Sum());
                        if (complete || DateTime.UtcNow - endedSeen > EndGrace)
                        {
                            items.Add(new SseItem<object>(new LogStreamEnd(progress?.State), EndEvent));
                            ended = true;
                        }
                    }

                    Send(feed, items, ended);
                    if (ended)
                        return;
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    // The database going away: followers keep their stream and get the rest once it is back.
                    LogFeedReadFailed(feed.TaskId, e.Message);
                }

                await appends.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The last follower left.
        }
        catch (Exception e)
        {
            // Not a failed read (those are retried above): the feed cannot go on. Its followers' streams close without an
            // end event, which a client takes for a broken stream, and the next follower starts a new feed.
            LogFeedFailed(e, feed.TaskId);
            Send(feed, [], last: true);
        }
    }

    /// <summary>Chunks after the last one sent of each attempt, stopping at a gap (a chunk not stored yet); <paramref name="sent"/> advances.</summary>
    static List<LogChunkView> NewChunks(IReadOnlyList<StoredLogChunk> stored, Dictionary<Guid, long> sent)
    {
        var chunks = new List<LogChunkView>();
        foreach (var chunk in stored)
        {
            if (chunk.Sequence != sent.GetValueOrDefault(chunk.AttemptId) + 1)
                continue;
            sent[chunk.AttemptId] = chunk.Sequence;
            chunks.Add(new LogChunkView(chunk.Attempt, chunk.Sequence, chunk.Stream, chunk.Text, chunk.At));
        }

        return chunks;
    }

    [LoggerMessage(LogLevel.Debug, "Log follower of {TaskId} left")]
    partial void LogFollowerLeft(Guid taskId);

    [LoggerMessage(LogLevel.Warning, "Reading the output of {TaskId} for its followers failed ({Reason}); trying again")]
    partial void LogFeedReadFailed(Guid taskId, string reason);

    [LoggerMessage(LogLevel.Error, "The output feed of {TaskId} failed; its followers' streams are closed")]
    partial void LogFeedFailed(Exception exception, Guid taskId);

    /// <summary>One followed task: what has been sent, to whom, and how to stop reading it.</summary>
    sealed class Feed(Guid taskId)
    {
        public Guid TaskId { get; } = taskId;

        public List<SseItem<object>> Sent { get; } = [];

        public HashSet<Channel<SseItem<object>>> Followers { get; } = [];

        public CancellationTokenSource Stop { get; } = new();
    }
}
