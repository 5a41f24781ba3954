using System.Text.Json;

namespace Supervisor.Tests.Rules.Failures;

/// <summary>The failure patterns agents.json ships: the defaults of every agent, and one agent's own.</summary>
static class ShippedPatterns
{
    static readonly JsonElement Supervisor = Load();

    public static IReadOnlyDictionary<string, List<string>> Defaults { get; } = Read(Supervisor.GetProperty("DefaultErrorPatterns"));

    public static IReadOnlyDictionary<string, List<string>> Of(string agent) =>
        Supervisor.GetProperty("Agents").GetProperty(agent).TryGetProperty("ErrorPatterns", out var patterns)
            ? Read(patterns)
            : new Dictionary<string, List<string>>();

    static JsonElement Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "agents.json")));
        return document.RootElement.GetProperty("Supervisor").Clone();
    }

    static Dictionary<string, List<string>> Read(JsonElement patterns) =>
        patterns.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(e => e.GetString()!).ToList(), StringComparer.Ordinal);
}
