using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Supervisor.IntegrationTests.Infrastructure;

/// <summary>A span as a host exported it: the host (service.name), the instrumentation that made it, and where it sits in its trace.</summary>
sealed record ReceivedSpan(string Service, string Scope, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind)
{
    public const int Server = 2;

    public const int Client = 3;
}

/// <summary>
/// An OTLP/HTTP endpoint on loopback that keeps the spans the hosts export to it (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> with
/// <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>). It reads just the fields it needs from the protobuf messages of
/// opentelemetry-proto's trace service; other signals are accepted and dropped.
/// </summary>
sealed class OtlpReceiver : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly ConcurrentQueue<ReceivedSpan> _spans = new();

    OtlpReceiver(WebApplication app, string endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }

    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    /// <summary>What a host needs in its environment to export here, promptly.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
    };

    public static async Task<OtlpReceiver> StartAsync()
    {
        var endpoint = $"http://127.0.0.1:{SupervisorStack.FreePort()}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(endpoint);
        var app = builder.Build();
        var receiver = new OtlpReceiver(app, endpoint);
        app.MapPost("/v1/traces", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            receiver.Read(ByteString.CopyFrom(body.ToArray()));
            return Results.Bytes([], "application/x-protobuf");
        });
        app.MapPost("/v1/{signal}", () => Results.Bytes([], "application/x-protobuf"));
        await app.StartAsync();
        return receiver;
    }

    /// <summary>ExportTraceServiceRequest: resource_spans = 1 (ResourceSpans: resource = 1, scope_spans = 2).</summary>
    void Read(ByteString request)
    {
        foreach (var resourceSpans in Fields(request).Where(f => f.Number == 1).Select(f => f.Bytes))
        {
            var service = Fields(resourceSpans).Where(f => f.Number == 1).SelectMany(f => Attributes(f.Bytes))
                .FirstOrDefault(a => a.Key == "service.name").Value ?? "";
            foreach (var scopeSpans in Fields(resourceSpans).Where(f => f.Number == 2).Select(f => f.Bytes))
            {
                // ScopeSpans: scope = 1 (InstrumentationScope: name = 1), spans = 2.
                var scope = Fields(scopeSpans).Where(f => f.Number == 1).SelectMany(f => Fields(f.Bytes)).FirstOrDefault(f => f.Number == 1).Bytes?.ToStringUtf8() ?? "";
                foreach (var span in Fields(scopeSpans).Where(f => f.Number == 2).Select(f => Fields(f.Bytes)))
                {
                    // Span: trace_id = 1, span_id = 2, parent_span_id = 4, name = 5, kind = 6.
                    string Hex(int number) => Convert.ToHexStringLower(span.FirstOrDefault(f => f.Number == number).Bytes?.ToByteArray() ?? []);
                    _spans.Enqueue(new ReceivedSpan(service, scope, Hex(1), Hex(2), Hex(4),
                        span.FirstOrDefault(f => f.Number == 5).Bytes?.ToStringUtf8() ?? "", (int)span.FirstOrDefault(f => f.Number == 6).Varint));
                }
            }
        }
    }

    /// <summary>Resource: attributes = 1 (KeyValue: key = 1, value = 2; AnyValue: string_value = 1).</summary>
    static IEnumerable<KeyValuePair<string, string?>> Attributes(ByteString resource) =>
        Fields(resource).Where(f => f.Number == 1).Select(f => Fields(f.Bytes)).Select(kv => KeyValuePair.Create(
            kv.FirstOrDefault(f => f.Number == 1).Bytes?.ToStringUtf8() ?? "",
            kv.Where(f => f.Number == 2).SelectMany(f => Fields(f.Bytes)).FirstOrDefault(f => f.Number == 1).Bytes?.ToStringUtf8()));

    /// <summary>The fields of one message: length-delimited ones with their bytes, varints with their value, others skipped.</summary>
    static List<(int Number, ByteString Bytes, ulong Varint)> Fields(ByteString message)
    {
        var fields = new List<(int Number, ByteString Bytes, ulong Varint)>();
        var input = new CodedInputStream(message.ToByteArray());
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            var number = WireFormat.GetTagFieldNumber(tag);
            switch (WireFormat.GetTagWireType(tag))
            {
                case WireFormat.WireType.LengthDelimited:
                    fields.Add((number, input.ReadBytes(), 0));
                    break;
                case WireFormat.WireType.Varint:
                    fields.Add((number, ByteString.Empty, input.ReadUInt64()));
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return fields;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
