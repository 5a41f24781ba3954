using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Supervisor.Cli.Api;

/// <summary>A log chunk and its JSON as the API sent it.</summary>
sealed record LogEvent(LogChunkView Chunk, string Json);

/// <summary>
/// The answer to <c>logs?follow=true</c>: a server-sent-events stream of <c>chunk</c> events closed by an <c>end</c> event,
/// or, from a service that does not stream, the plain JSON list of the chunks so far.
/// </summary>
sealed class LogStream : IDisposable
{
    readonly HttpResponseMessage? _response;
    readonly Stream? _stream;
    readonly string? _snapshot;

    LogStream(HttpResponseMessage? response, Stream? stream, string? snapshot)
    {
        _response = response;
        _stream = stream;
        _snapshot = snapshot;
    }

    /// <summary>False when the service answered a snapshot instead of a stream.</summary>
    public bool IsLive => _stream is not null;

    public static LogStream Live(HttpResponseMessage response, Stream stream) => new(response, stream, null);

    public static LogStream Snapshot(string json) => new(null, null, json);

    /// <summary>Yields chunks until the stream's <c>end</c> event; throws if the connection closes before it.</summary>
    public async IAsyncEnumerable<LogEvent> ReadAsync([EnumeratorCancellation] CancellationToken ct)
    {
        if (_stream is null)
        {
            foreach (var item in ParseSnapshot(_snapshot!))
            {
                yield return item;
            }

            yield break;
        }

        var parser = SseParser.Create(_stream, static (eventType, data) => (eventType, Encoding.UTF8.GetString(data)));
        await foreach (var item in parser.EnumerateAsync(ct))
        {
            var (eventType, data) = item.Data;
            switch (eventType)
            {
                case "chunk":
                    yield return new LogEvent(Deserialize(data), data);
                    break;
                case "end":
                    yield break;
                default:
                    // Other event types (keep-alives, future additions) carry nothing to print.
                    break;
            }
        }

        throw new ServiceUnreachableException("the log stream closed before the service sent its end event");
    }

    public void Dispose()
    {
        _stream?.Dispose();
        _response?.Dispose();
    }

    static List<LogEvent> ParseSnapshot(string json)
    {
        using var document = ParseDocument(json);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new UnexpectedResponseException("the logs endpoint answered JSON that is not a list of chunks");
        }

        var events = new List<LogEvent>();
        foreach (var element in document.RootElement.EnumerateArray())
        {
            var raw = element.GetRawText();
            events.Add(new LogEvent(Deserialize(raw), raw));
        }

        return events;
    }

    static JsonDocument ParseDocument(string json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new UnexpectedResponseException($"the logs endpoint answered something that is not JSON: {e.Message}", e);
        }
    }

    static LogChunkView Deserialize(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<LogChunkView>(json, ApiClient.JsonOptions)
                ?? throw new UnexpectedResponseException("the log stream sent an empty chunk");
        }
        catch (JsonException e)
        {
            throw new UnexpectedResponseException($"the log stream sent a chunk the CLI cannot read: {e.Message}", e);
        }
    }
}
