using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Nemesis;

/// <summary>
/// Every <c>_error</c> queue of the stack's virtual host (RabbitMQ's management API) is empty, or what it holds is
/// accounted for: listed by <c>GET /api/dead-letters</c> (issue 14; a build without that route accounts for nothing).
/// </summary>
sealed class DeadLetterCheck(SupervisorStack stack, FleetApi api)
{
    public async Task<(bool, string)> CheckAsync()
    {
        using var management = IsolatedResources.ManagementClient(stack.Resources.RabbitMqManagement);
        var queues = JsonNode.Parse(await management.GetStringAsync($"api/queues/{Uri.EscapeDataString(stack.Resources.Name)}"))!.AsArray();
        var errors = queues
            .Select(q => (Name: q!["name"]!.GetValue<string>(), Messages: q["messages"]?.GetValue<long>() ?? 0))
            .Where(q => q.Name.EndsWith("_error", StringComparison.Ordinal) && q.Messages > 0)
            .ToList();
        var total = errors.Sum(q => q.Messages);
        var found = $"{total} messages in {errors.Count} _error queues" + (errors.Count > 0 ? $" [{string.Join(", ", errors.Select(q => $"{q.Name} {q.Messages}"))}]" : "");
        if (total == 0)
            return (true, found);

        var (status, body) = await api.GetTextAsync("/api/dead-letters");
        if (status != 200)
            return (false, $"{found}; not accounted for: GET /api/dead-letters answered {status}");
        var listed = Listed(JsonNode.Parse(body));
        return (listed == total, $"{found}; GET /api/dead-letters lists {listed}");
    }

    /// <summary>A list of entries (each counting <c>count</c> messages, or one), or an object with a <c>total</c>.</summary>
    static long Listed(JsonNode? body) => body switch
    {
        JsonArray entries => entries.Sum(e => e?["count"]?.GetValue<long>() ?? 1),
        JsonObject o when o["total"] is { } t => t.GetValue<long>(),
        JsonObject o when o["items"] is JsonArray items => Listed(items),
        _ => 0,
    };
}
