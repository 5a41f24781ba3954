using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Supervisor.Rules.Chains;

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

    /// <summary>Whether <paramref name="model"/> looks like a model's name: nothing a shell or a CLI could read as more.</summary>
    public static bool IsValidModel(string model) => ModelPattern().IsMatch(model);

    /// <summary>The chain a task runs through (see <see cref="ChainBuilder"/>), from the configured agents' Fallback settings.</summary>
    public ChainResolution ResolveChain(IReadOnlyList<string>? requested, bool? followFallback = null) =>
        ChainBuilder.Resolve(_options.Agents.ToDictionary(a => a.Key, a => a.Value.Fallback, _options.Agents.Comparer), _options.DefaultAgent, requested, followFallback);

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,99}$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ModelPattern();
}
