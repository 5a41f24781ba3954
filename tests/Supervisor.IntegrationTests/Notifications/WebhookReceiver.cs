using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Notifications;

/// <summary>A POST a webhook received: on which path, when, with which headers and body.</summary>
sealed record ReceivedHook(string Path, DateTime At, IReadOnlyDictionary<string, string> Headers, string Body, int Answered)
{
    public JsonNode Json => JsonNode.Parse(Body)!;
}

/// <summary>
/// A real HTTP server on loopback (Kestrel) that records every POST to <c>/hooks/{name}</c>. On <c>/hooks/flaky</c> it
/// answers 500 to the first two requests about each task (by the body's <c>taskId</c>), then 200; elsewhere 200.
/// </summary>
sealed class WebhookReceiver : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly ConcurrentQueue<ReceivedHook> _received = new();
    readonly ConcurrentDictionary<string, int> _flakyCounts = new(StringComparer.Ordinal);

    WebhookReceiver(WebApplication app, string address)
    {
        _app = app;
        Address = address;
    }

    public string Address { get; }

    public IReadOnlyList<ReceivedHook> Received => [.. _received];

    public string Url(string name) => $"{Address}/hooks/{name}";

    public static async Task<WebhookReceiver> StartAsync()
    {
        var address = $"http://127.0.0.1:{SupervisorStack.FreePort()}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(address);
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, address);
        app.MapPost("/hooks/{name}", async (string name, HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            var status = 200;
            if (name == "flaky" && receiver._flakyCounts.AddOrUpdate(JsonNode.Parse(body)?["taskId"]?.ToString() ?? "", 1, (_, n) => n + 1) <= 2)
                status = 500;
            receiver._received.Enqueue(new ReceivedHook(name, DateTime.UtcNow,
                request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body, status));
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>What <paramref name="hook"/> received about <paramref name="taskId"/> so far (Slack's text names the task too).</summary>
    public List<ReceivedHook> About(string hook, Guid taskId) =>
        [.. Received.Where(r => r.Path == hook && r.Body.Contains(taskId.ToString(), StringComparison.Ordinal))];

    /// <summary>Waits until <paramref name="hook"/> has <paramref name="count"/> requests about the task answered with 200.</summary>
    public async Task<List<ReceivedHook>> WaitForAsync(string hook, Guid taskId, int count = 1, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var received = About(hook, taskId);
            if (received.Count(r => r.Answered == 200) >= count)
                return received;
            Assert.True(DateTime.UtcNow < deadline,
                $"webhook {hook} got {received.Count(r => r.Answered == 200)} delivery(ies) about task {taskId} within {seconds} s, not {count}; all: "
                + string.Join(" | ", Received.Select(r => $"{r.Path} {r.Answered} {r.Body}")));
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
