using Supervisor.Agents;

namespace Supervisor.Tests.Agents;

public sealed class AgentCatalogSpecs
{
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
