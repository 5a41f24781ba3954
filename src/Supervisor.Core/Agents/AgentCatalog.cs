using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Supervisor.Agents;

/// <summary>The configured agents, and the rules that turn a task's request into an agent chain.</summary>
public sealed partial class AgentCatalog(IOptions<SupervisorOptions> options)
{
    readonly SupervisorOptions _options = options.Value;

    public IReadOnlyDictionary<string, AgentOptions> Agents => _options.Agents;

    public string DefaultAgent => _options.DefaultAgent;

    public IReadOnlyDictionary<string, List<string>> DefaultErrorPatterns => _options.DefaultErrorPatterns;

    public bool TryGet(string name, out AgentOptions agent) => _options.Agents.TryGetValue(name, out agent!);

    public AgentOptions Get(string name) =>
        TryGet(name, out var agent) ? agent : throw new KeyNotFoundException($"Agent '{name}' is not configured.");

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    /// <summary>
    /// The chain a task runs through: its explicit <paramref name="requested"/> list when it has more than one agent,
    /// otherwise the single (or default) agent followed by each agent's <c>Fallback</c>. An unknown agent or a
    /// repeated one (a cycle) is an error naming it.
    /// </summary>
    public ChainResolution ResolveChain(IReadOnlyList<string>? requested)
    {
        if (requested is { Count: > 1 })
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var name in requested)
            {
                if (!_options.Agents.ContainsKey(name))
                    return ChainResolution.Fail($"unknown agent '{name}'; configured: {string.Join(", ", _options.Agents.Keys.Order())}");
                if (!seen.Add(name))
                    return ChainResolution.Fail($"agent '{name}' appears twice; a chain never runs an agent twice");
            }

            return ChainResolution.Ok(requested.Select(Canonical).ToList());
        }

        var first = requested is { Count: 1 } ? requested[0] : _options.DefaultAgent;
        if (!_options.Agents.ContainsKey(first))
            return ChainResolution.Fail($"unknown agent '{first}'; configured: {string.Join(", ", _options.Agents.Keys.Order())}");

        var chain = new List<string>();
        for (var name = first; !string.IsNullOrEmpty(name); name = _options.Agents[name].Fallback)
        {
            if (!_options.Agents.ContainsKey(name))
                return ChainResolution.Fail($"agent '{chain[^1]}' falls back to unknown agent '{name}'");
            if (chain.Contains(name, StringComparer.OrdinalIgnoreCase))
                return ChainResolution.Fail($"the Fallback settings form a cycle: {string.Join(" → ", chain)} → {Canonical(name)}");
            chain.Add(Canonical(name));
        }

        return ChainResolution.Ok(chain);
    }

    string Canonical(string name) => _options.Agents.Keys.First(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex NamePattern();
}

public sealed record ChainResolution(IReadOnlyList<string> Chain, string? Error)
{
    public static ChainResolution Ok(IReadOnlyList<string> chain) => new(chain, null);

    public static ChainResolution Fail(string error) => new([], error);
}
