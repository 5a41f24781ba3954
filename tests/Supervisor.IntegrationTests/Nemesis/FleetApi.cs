using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Supervisor.IntegrationTests.Nemesis;

/// <summary>
/// The HTTP API as a client of several service instances sees it: each call goes to the next instance and, when that
/// one does not answer (killed, restarting) or answers 5xx, to the other. A call no instance answers returns null.
/// </summary>
sealed class FleetApi(IReadOnlyList<Uri> urls) : IDisposable
{
    readonly HttpClient[] _clients = [.. urls.Select(u => new HttpClient { BaseAddress = u, Timeout = TimeSpan.FromSeconds(10),
        DefaultRequestHeaders = { Authorization = new("Bearer", Infrastructure.TestTokens.Of(Infrastructure.TestTokens.Admin)) } })];
    int _next;

    /// <summary>POST /api/tasks with <paramref name="body"/>; true once an instance answered 202.</summary>
    public async Task<(bool Accepted, string Answer)> SubmitAsync(object body)
    {
        var (status, text) = await SendAsync(c => c.PostAsJsonAsync("/api/tasks", body));
        return (status == 202, $"{status} {text}");
    }

    /// <summary>POST /api/tasks/{id}/{verb}: the status (0 when no instance answered) and the state in the answer.</summary>
    public async Task<(int Status, string? State, bool Stopped)> CommandAsync(Guid id, string verb)
    {
        var (status, text) = await SendAsync(c => c.PostAsJsonAsync($"/api/tasks/{id}/{verb}", new { by = "nemesis", reason = "fault campaign" }));
        return (status, status == 202 ? StateIn(text) : null, status == 202 && JsonNode.Parse(text)?["stopped"]?.GetValue<bool>() == true);
    }

    /// <summary>GET /api/tasks/{id}, or null.</summary>
    public async Task<JsonNode?> GetAsync(Guid id)
    {
        var (status, text) = await SendAsync(c => c.GetAsync($"/api/tasks/{id}"));
        return status == 200 ? JsonNode.Parse(text) : null;
    }

    /// <summary>GET <paramref name="path"/>: the status (0 when no instance answered) and the body.</summary>
    public Task<(int Status, string Body)> GetTextAsync(string path) => SendAsync(c => c.GetAsync(path));

    async Task<(int Status, string Body)> SendAsync(Func<HttpClient, Task<HttpResponseMessage>> call)
    {
        (int, string) last = (0, "no service instance answered");
        for (var i = 0; i < _clients.Length; i++)
        {
            var client = _clients[(int)((uint)Interlocked.Increment(ref _next) % _clients.Length)];
            try
            {
                using var response = await call(client);
                last = ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
                if (last.Item1 < 500)
                    return last;
            }
            catch (HttpRequestException e)
            {
                last = (0, e.Message);
            }
            catch (TaskCanceledException)
            {
                last = (0, "timed out");
            }
        }

        return last;
    }

    static string? StateIn(string text)
    {
        try
        {
            return JsonNode.Parse(text)?["state"]?.GetValue<string>();
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        foreach (var client in _clients)
            client.Dispose();
    }
}
