using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Schedules;

/// <summary>The schedule routes of the public HTTP API, as any client calls them.</summary>
static class SchedulesApi
{
    public static async Task<JsonNode> CreateScheduleAsync(this ApiClient api, object body)
    {
        using var response = await api.Http.PostAsJsonAsync("/api/schedules", body);
        var text = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != 201)
            throw new InvalidOperationException($"create returned {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    public static async Task<JsonNode> GetScheduleAsync(this ApiClient api, Guid id) =>
        JsonNode.Parse(await api.Http.GetStringAsync($"/api/schedules/{id}"))!;

    public static async Task<JsonArray> ScheduleTasksAsync(this ApiClient api, Guid id) =>
        JsonNode.Parse(await api.Http.GetStringAsync($"/api/schedules/{id}/tasks?limit=1000"))!.AsArray();

    /// <summary>POST /api/schedules/{id}/{pause|resume|trigger}; returns the status code and the body.</summary>
    public static async Task<(int Status, JsonNode? Body)> ScheduleCommandAsync(this ApiClient api, Guid id, string verb, object? body = null)
    {
        using var response = await api.Http.PostAsJsonAsync($"/api/schedules/{id}/{verb}", body ?? new { });
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }

    /// <summary>Waits until none of the schedule's tasks is open any more, and returns them all with their attempts.</summary>
    public static async Task<List<JsonNode>> SettledTasksAsync(this ApiClient api, Guid id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var tasks = await api.ScheduleTasksAsync(id);
            if (tasks.All(t => ApiClient.Terminal.Contains(t!["state"]!.GetValue<string>())) || DateTime.UtcNow > deadline)
                return [.. await Task.WhenAll(tasks.Select(t => api.GetAsync(t!["id"]!.GetValue<Guid>())))];
            await Task.Delay(250);
        }
    }

    public static DateTime ScheduledFor(JsonNode? task) =>
        DateTime.Parse(task!["labels"]!["scheduledFor"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);
}
