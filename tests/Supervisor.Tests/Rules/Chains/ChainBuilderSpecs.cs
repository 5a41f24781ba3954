using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Rules.Chains;

namespace Supervisor.Tests.Rules.Chains;

public sealed class ChainBuilderSpecs
{
    /// <summary>Agents by name with their fallback, compared as the configuration compares them (ignoring case).</summary>
    static Dictionary<string, string?> Agents(params (string Name, string? Fallback)[] agents) =>
        agents.ToDictionary(a => a.Name, a => a.Fallback, StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void One_named_agent_runs_alone() =>
        Assert.Equal(["claude"], ChainBuilder.Resolve(Agents(("claude", "codex"), ("codex", "gemini"), ("gemini", null)), "claude", ["claude"]).Chain);

    [Fact]
    public void One_named_agent_asked_to_fall_back_is_followed_by_its_fallbacks()
    {
        var chain = ChainBuilder.Resolve(Agents(("claude", "codex"), ("codex", "gemini"), ("gemini", null)), "claude", ["claude"], followFallback: true);

        Assert.Equal(["claude", "codex", "gemini"], chain.Chain);
        Assert.Null(chain.Error);
    }

    [Fact]
    public void Fallback_with_several_named_agents_is_an_error() =>
        Assert.Equal("fallback applies to a single agent; a list of agents is the whole chain",
            ChainBuilder.Resolve(Agents(("a", "c"), ("b", null), ("c", null)), "a", ["a", "b"], followFallback: true).Error);

    [Fact]
    public void Without_a_requested_agent_and_no_fallback_the_default_agent_runs_alone() =>
        Assert.Equal(["codex"], ChainBuilder.Resolve(Agents(("codex", "gemini"), ("gemini", null)), "codex", null, followFallback: false).Chain);

    [Fact]
    public void A_named_agent_that_is_unknown_is_an_error_with_or_without_fallback()
    {
        Assert.Contains("unknown agent 'x'", ChainBuilder.Resolve(Agents(("a", null)), "a", ["x"]).Error);
        Assert.Contains("unknown agent 'x'", ChainBuilder.Resolve(Agents(("a", null)), "a", ["x"], followFallback: true).Error);
    }

    [Fact]
    public void Without_a_requested_agent_the_default_agent_starts_the_chain() =>
        Assert.Equal(["codex", "gemini"], ChainBuilder.Resolve(Agents(("claude", "codex"), ("codex", "gemini"), ("gemini", null)), "codex", null).Chain);

    [Fact]
    public void An_empty_request_is_the_same_as_none() =>
        Assert.Equal(["gemini"], ChainBuilder.Resolve(Agents(("claude", null), ("gemini", "")), "gemini", []).Chain);

    [Fact]
    public void An_explicit_chain_runs_as_given_without_fallbacks() =>
        Assert.Equal(["b", "a"], ChainBuilder.Resolve(Agents(("a", "c"), ("b", "c"), ("c", null)), "a", ["b", "a"]).Chain);

    [Fact]
    public void An_explicit_chain_rejects_unknown_and_repeated_agents()
    {
        var agents = Agents(("a", null), ("b", null));

        Assert.Contains("unknown agent 'x'", ChainBuilder.Resolve(agents, "a", ["a", "x"]).Error);
        Assert.Contains("'A' appears twice", ChainBuilder.Resolve(agents, "a", ["a", "b", "A"]).Error);
    }

    [Fact]
    public void A_cycle_in_the_fallbacks_is_an_error_naming_it_and_never_loops()
    {
        var chain = ChainBuilder.Resolve(Agents(("a", "b"), ("b", "a")), "a", null);

        Assert.Contains("cycle: a → b → a", chain.Error);
        Assert.Empty(chain.Chain);
    }

    [Fact]
    public void An_agent_that_falls_back_to_itself_is_a_cycle() =>
        Assert.Contains("cycle: solo → solo", ChainBuilder.Resolve(Agents(("solo", "solo")), "solo", null).Error);

    [Fact]
    public void An_unknown_requested_agent_is_an_error_listing_the_configured_ones() =>
        Assert.Equal("unknown agent 'ghost'; configured: a, b", ChainBuilder.Resolve(Agents(("b", null), ("a", null)), "a", ["ghost"]).Error);

    [Fact]
    public void An_unknown_default_agent_is_an_error() =>
        Assert.Contains("unknown agent 'missing'", ChainBuilder.Resolve(Agents(("a", null)), "missing", null).Error);

    [Fact]
    public void A_fallback_to_an_unknown_agent_is_an_error_naming_both() =>
        Assert.Equal("agent 'a' falls back to unknown agent 'ghost'", ChainBuilder.Resolve(Agents(("a", "ghost")), "a", null).Error);

    [Fact]
    public void Names_match_whatever_their_case_and_the_chain_spells_them_as_configured() =>
        Assert.Equal(["claude", "codex"], ChainBuilder.Resolve(Agents(("claude", "CODEX"), ("codex", null)), "claude", ["Claude"], followFallback: true).Chain);

    [Fact]
    public void The_catalog_builds_its_chains_from_the_configured_fallbacks()
    {
        var options = new SupervisorOptions { DefaultAgent = "a" };
        options.Agents["a"] = new AgentOptions { Command = "/bin/true", Fallback = "b" };
        options.Agents["b"] = new AgentOptions { Command = "/bin/true" };

        Assert.Equal(["a", "b"], new AgentCatalog(Options.Create(options)).ResolveChain(null).Chain);
    }
}
