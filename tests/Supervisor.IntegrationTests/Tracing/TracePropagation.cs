using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Tracing;

public sealed class TracePropagation
{
    [Fact]
    public async Task A_traceparent_on_submit_reaches_the_worker_through_the_saga_with_the_HTTP_and_database_spans_in_the_trace()
    {
        await using var otlp = await OtlpReceiver.StartAsync();
        await using var stack = await SupervisorStack.StartAsync("trace", otlp.Environment, services: 1, ("shell", 1));
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/tasks") { Content = JsonContent.Create(new { prompt = "true" }) };
        request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(BitConverter.GetBytes(42L))}-01");

        using var response = await stack.Api.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var id = Guid.Parse((await response.Content.ReadFromJsonAsync<JsonNode>())!["id"]!.GetValue<string>());
        var task = await stack.Api.WaitForAsync(id, TimeSpan.FromSeconds(60));
        var spans = await SpansAsync(otlp, traceId, s => s.Any(x => x.Scope == "Npgsql") && s.Any(x => x.Service == "supervisor-worker"));

        Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
        // The worker logs the trace of the job it starts: the one the HTTP request began, carried by SubmitTask and RunAgentJob.
        Assert.Contains($"Task {id} attempt 1: starting shell (trace {traceId})", stack.Workers[0].RecentOutput, StringComparison.Ordinal);
        // In that one trace: the service's HTTP server span, the saga's consume spans and their database commands, the worker's spans.
        var server = Assert.Single(spans, s => s.Scope == "Microsoft.AspNetCore");
        Assert.Equal((ReceivedSpan.Server, "supervisor-service"), (server.Kind, server.Service));
        Assert.Contains(spans, s => s.Scope == "MassTransit" && s.Service == "supervisor-service" && s.ParentSpanId != server.SpanId);
        Assert.Contains(spans, s => s.Scope == "Npgsql" && s.Kind == ReceivedSpan.Client && s.Service == "supervisor-service");
        Assert.Contains(spans, s => s.Scope == "MassTransit" && s.Service == "supervisor-worker");
    }

    /// <summary>The spans of the trace once <paramref name="complete"/> holds for them (the hosts export in batches).</summary>
    static async Task<IReadOnlyList<ReceivedSpan>> SpansAsync(OtlpReceiver otlp, string traceId, Func<IReadOnlyList<ReceivedSpan>, bool> complete)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var spans = otlp.Spans.Where(s => s.TraceId == traceId).ToList();
            if (complete(spans) || DateTime.UtcNow > deadline)
                return spans;
            await Task.Delay(200);
        }
    }
}
