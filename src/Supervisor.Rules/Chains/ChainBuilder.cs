namespace Supervisor.Rules.Chains;

/// <summary>
/// Turns a task's request into the chain of agents it runs through. The configured agents come in as plain data: each
/// agent's name and its <c>Fallback</c> (null or empty when it has none); names compare as that dictionary compares
/// its keys, and the chain names each agent as configured.
/// </summary>
public static class ChainBuilder
{
    /// <summary>
    /// The chain a task asked for. Named agents (<paramref name="requested"/>) are the whole chain, also when there is
    /// one of them: a task that names an agent runs on it only, unless <paramref name="followFallback"/> is true, which
    /// makes a single named agent bring its <c>Fallback</c> chain along. A task that names none runs on
    /// <paramref name="defaultAgent"/> with its <c>Fallback</c> chain (the configuration's choice), or on it alone when
    /// <paramref name="followFallback"/> is false. An unknown agent, a repeated one (a cycle), or
    /// <paramref name="followFallback"/> with several named agents is an error naming it, so a chain never loops and no
    /// request is read two ways.
    /// </summary>
    public static ChainResolution Resolve(
        IReadOnlyDictionary<string, string?> fallbacks, string defaultAgent, IReadOnlyList<string>? requested, bool? followFallback = null)
    {
        ArgumentNullException.ThrowIfNull(fallbacks);
        var named = requested is { Count: > 0 };
        if (requested is { Count: > 1 } && followFallback == true)
            return ChainResolution.Fail("fallback applies to a single agent; a list of agents is the whole chain");
        if (!(followFallback ?? !named))
        {
            requested = named ? requested! : [defaultAgent];
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var name in requested)
            {
                if (!fallbacks.ContainsKey(name))
                    return ChainResolution.Fail($"unknown agent '{name}'; configured: {string.Join(", ", fallbacks.Keys.Order(StringComparer.CurrentCulture))}");
                if (!seen.Add(name))
                    return ChainResolution.Fail($"agent '{name}' appears twice; a chain never runs an agent twice");
            }

            return ChainResolution.Ok(requested.Select(name => Canonical(fallbacks, name)).ToList());
        }

        var first = named ? requested![0] : defaultAgent;
        if (!fallbacks.ContainsKey(first))
            return ChainResolution.Fail($"unknown agent '{first}'; configured: {string.Join(", ", fallbacks.Keys.Order(StringComparer.CurrentCulture))}");

        var chain = new List<string>();
        for (var name = first; !string.IsNullOrEmpty(name); name = fallbacks[name])
        {
            if (!fallbacks.ContainsKey(name))
                return ChainResolution.Fail($"agent '{chain[^1]}' falls back to unknown agent '{name}'");
            if (chain.Contains(name, StringComparer.OrdinalIgnoreCase))
                return ChainResolution.Fail($"the Fallback settings form a cycle: {string.Join(" → ", chain)} → {Canonical(fallbacks, name)}");
            chain.Add(Canonical(fallbacks, name));
        }

        return ChainResolution.Ok(chain);
    }

    static string Canonical(IReadOnlyDictionary<string, string?> fallbacks, string name) =>
        fallbacks.Keys.First(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>A task's agent chain, or the reason there is none (<see cref="Error"/>, with an empty chain).</summary>
public sealed record ChainResolution(IReadOnlyList<string> Chain, string? Error)
{
    /// <summary>A chain that can run.</summary>
    public static ChainResolution Ok(IReadOnlyList<string> chain) => new(chain, null);

    /// <summary>No chain: the request or the configuration is wrong, as <paramref name="error"/> says.</summary>
    public static ChainResolution Fail(string error) => new([], error);
}
