using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Supervisor.IntegrationTests.Infrastructure;

/// <summary>
/// Talks to the service's public HTTP API the way any client would, with the bearer token of <paramref name="caller"/>
/// (one of <see cref="TestTokens"/>; none when null).
/// </summary>
sealed class ApiClient(Uri baseAddress, string? caller = TestTokens.Admin) : IDisposable
{
    public static readonly string[] Terminal = ["Succeeded", "Failed", "Cancelled", "Rejected"];

    public HttpClient Http { get; } = Client(baseAddress, caller);

    /// <summary>The name the service knows this client by (its token's name).</summary>
    public string? Caller => caller;

    /// <summary>Another client of the same service, acting as <paramref name="name"/>.</summary>
    public ApiClient As(string name) => new(Http.BaseAddress!, name);

    static HttpClient Client(Uri baseAddress, string? caller)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (caller is not null)
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestTokens.Of(caller));
        return http;
    }

    /// <summary>A runAt this far from now, in whole milliseconds so that it reads back as given (PostgreSQL keeps microseconds).</summary>
    public static DateTime RunAt(TimeSpan ahead)
    {
        var at = DateTime.UtcNow + ahead;
        return at.AddTicks(-(at.Ticks % TimeSpan.TicksPerMillisecond));
    }

    public async Task<Guid> SubmitAsync(object body)
    {
        using var response = await Http.PostAsJsonAsync("/api/tasks", body);
        var text = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != 202)
            throw new InvalidOperationException($"submit returned {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["id"]!.GetValue<Guid>();
    }

    /// <summary>
    /// POST /api/tasks/{id}/{verb} as <paramref name="by"/> (its token; this client's when null); returns the status code
    /// and the body. The service records the token's name, so that is the <c>by</c> the task's trail shows.
    /// </summary>
    public async Task<(int Status, JsonNode? Body)> CommandAsync(Guid id, string verb, string? by = null, string? reason = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/tasks/{id}/{verb}") { Content = JsonContent.Create(new { reason }) };
        if (by is not null)
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestTokens.Of(by));
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }

    /// <summary>The task, or null while it does not exist yet (a submit is answered before the saga has created it).</summary>
    public async Task<JsonNode?> TryGetAsync(Guid id)
    {
        using var response = await Http.GetAsync($"/api/tasks/{id}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            return null;
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync());
    }

    public async Task<JsonNode> GetAsync(Guid id) =>
        JsonNode.Parse(await Http.GetStringAsync($"/api/tasks/{id}"))!;

    public async Task<JsonArray> LogsAsync(Guid id) =>
        JsonNode.Parse(await Http.GetStringAsync($"/api/tasks/{id}/logs"))!.AsArray();

    /// <summary>
    /// The stored output of a finished task once every chunk its attempts published has been stored (chunks travel
    /// apart from the events that end a task, so they may land a moment later).
    /// </summary>
    public async Task<JsonArray> CompleteLogsAsync(Guid id)
    {
        var expected = (await GetAsync(id))["attempts"]!.AsArray().Sum(a => a!["outputChunks"]?.GetValue<long>() ?? 0);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var logs = await LogsAsync(id);
            if (logs.Count >= expected || DateTime.UtcNow > deadline)
                return logs;
            await Task.Delay(100);
        }
    }

    /// <summary>Polls until the task reaches one of <paramref name="states"/> (default: any terminal state).</summary>
    public async Task<JsonNode> WaitForAsync(Guid id, TimeSpan timeout, params string[] states)
    {
        var wanted = states.Length > 0 ? states : Terminal;
        var deadline = DateTime.UtcNow + timeout;
        JsonNode? last = null;
        var slow = 0;
        while (DateTime.UtcNow < deadline)
        {
            HttpResponseMessage response;
            try
            {
                response = await Http.GetAsync($"/api/tasks/{id}");
            }
            catch (TaskCanceledException e) when (e.InnerException is TimeoutException)
            {
                // One read past the client's timeout (seen once on a clean clone, while many stacks started at once): read
                // again until the deadline; it is counted in the message should the deadline pass.
                slow++;
                continue;
            }

            using (response)
            {
                if (response.IsSuccessStatusCode)
                {
                    last = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                    if (wanted.Contains(last["state"]!.GetValue<string>()))
                        return last;
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"task {id} did not reach {string.Join("|", wanted)} within {timeout} ({slow} reads timed out); " +
            $"last seen: {last?.ToJsonString(new JsonSerializerOptions { WriteIndented = true })}");
    }

    public void Dispose() => Http.Dispose();

    /// <summary>
    /// <paramref name="account"/> as <c>GET /api/agents</c> lists it under <paramref name="agent"/>, once
    /// <paramref name="condition"/> holds (within <paramref name="seconds"/>).
    /// </summary>
    public async Task<JsonNode> AccountAsync(string agent, string account, Func<JsonNode, bool> condition, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var agents = JsonNode.Parse(await Http.GetStringAsync("/api/agents"))!.AsArray();
            var found = agents.Single(a => a!["name"]!.GetValue<string>() == agent)!["accounts"]!.AsArray()
                .FirstOrDefault(a => a!["id"]!.GetValue<string>() == account);
            if (found is not null && condition(found))
                return found;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"account {account} of {agent} did not reach the expected state within {seconds} s: {found?.ToJsonString() ?? "not listed"}");
            await Task.Delay(200);
        }
    }
}
