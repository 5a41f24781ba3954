using System.Text.Json;
using System.Text.Json.Nodes;

namespace Supervisor.Rules.Interpretation;

/// <summary>JSON objects of line-delimited output. A tail may begin mid-line, and CLIs mix in plain text: such lines are skipped.</summary>
static class JsonLines
{
    public static IEnumerable<JsonObject> Objects(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            if (Parse(raw) is { } node)
                yield return node;
        }
    }

    public static JsonObject? Parse(string line)
    {
        var trimmed = line.Trim();
        if (!trimmed.StartsWith('{') || !trimmed.EndsWith('}'))
            return null;
        try
        {
            return JsonNode.Parse(trimmed) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string? String(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;

    public static long? Long(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<double>(out var d) ? (long)d : null;

    public static decimal? Decimal(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<decimal>(out var d) ? d : null;

    public static bool Bool(JsonNode? node) => node is JsonValue value && value.TryGetValue<bool>(out var b) && b;

    public static string Type(JsonObject o) => String(o["type"]) ?? "";
}
