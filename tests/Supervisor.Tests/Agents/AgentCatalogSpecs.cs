using Microsoft.Extensions.Options;
using Supervisor.Agents;

namespace Supervisor.Tests.Agents;

public sealed class AgentCatalogSpecs
{
    static AgentCatalog Catalog(params (string Name, string? Fallback)[] agents)
    {
        var options = new SupervisorOptions { DefaultAgent = agents[0].Name };
        foreach (var (name, fallback) in agents)
            options.Agents[name] = new AgentOptions { Command = "/bin/true", Fallback = fallback };
        return new AgentCatalog(Options.Create(options));
    }

    [Fact]
    public void ResolveChain_OneAgent_FollowsFallbacks()
    {
        var chain = Catalog(("claude", "codex"), ("codex", "gemini"), ("gemini", null)).ResolveChain(["claude"]);
        Assert.Equal(["claude", "codex", "gemini"], chain.Chain);
    }

    [Fact]
    public void ResolveChain_CycleInFallbacks_IsAnErrorNamingIt()
    {
        var chain = Catalog(("a", "b"), ("b", "a")).ResolveChain(null);
        Assert.Contains("cycle: a → b → a", chain.Error);
    }

    [Fact]
    public void ResolveChain_ExplicitList_RejectsUnknownAndRepeatedAgents()
    {
        var catalog = Catalog(("a", null), ("b", null));
        Assert.Contains("unknown agent 'x'", catalog.ResolveChain(["a", "x"]).Error);
        Assert.Contains("'a' appears twice", catalog.ResolveChain(["a", "b", "a"]).Error);
        Assert.Equal(["b", "a"], catalog.ResolveChain(["b", "a"]).Chain);
    }

    [Fact]
    public void Validate_NamesEveryBadKey()
    {
        var options = new SupervisorOptions { DefaultAgent = "missing" };
        options.Agents["Bad Name"] = new AgentOptions { Command = "", Isolation = "vm", Fallback = "ghost" };
        options.Agents["ok"] = new AgentOptions { Command = "x", ErrorPatterns = { ["Nonsense"] = ["("] } };

        var errors = options.Validate();

        Assert.Contains(errors, e => e.StartsWith("Supervisor:DefaultAgent", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Supervisor:Agents:Bad Name:", StringComparison.Ordinal) && e.Contains("name must be"));
        Assert.Contains(errors, e => e.StartsWith("Supervisor:Agents:Bad Name:Command", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Supervisor:Agents:Bad Name:Isolation", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Supervisor:Agents:Bad Name:Fallback", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Supervisor:Agents:ok:ErrorPatterns:Nonsense", StringComparison.Ordinal) && e.Contains("not a failure class"));
        Assert.Contains(errors, e => e.Contains("not a valid regular expression"));
    }
}
