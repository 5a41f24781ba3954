using System.Text.Json.Nodes;

namespace Supervisor.ProviderStub;

/// <summary>Server-sent events, flushed one by one as a real provider streams them.</summary>
static class Sse
{
    public static void Begin(HttpResponse response)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
    }

    public static async Task EventAsync(HttpResponse response, string? name, JsonNode data)
    {
        var text = (name is null ? "" : $"event: {name}\n") + $"data: {data.ToJsonString()}\n\n";
        await response.WriteAsync(text);
        await response.Body.FlushAsync();
    }

    public static async Task JsonAsync(HttpResponse response, int status, JsonNode body)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        await response.WriteAsync(body.ToJsonString());
    }
}
