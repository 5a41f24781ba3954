using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Hosting;

namespace Supervisor.Tests.Hosting;

/// <summary>Timeouts the broker's consumer_timeout would cut off are refused, and the agent limits are checked at start.</summary>
public sealed class BrokerLimitsSpecs
{
    static SupervisorOptions Agents(int timeoutSeconds) => new()
    {
        Agents = new(StringComparer.OrdinalIgnoreCase) { ["shell"] = new AgentOptions { Command = "sh", TimeoutSeconds = timeoutSeconds } },
    };

    [Fact]
    public void The_longest_attempt_timeout_leaves_room_for_the_agent_its_verify_command_and_the_rest_of_the_attempt()
    {
        var broker = new BrokerOptions { ConsumerTimeout = TimeSpan.FromHours(4) };

        Assert.Equal(TimeSpan.FromSeconds(6750), broker.LongestAttemptTimeout);
        Assert.True(new BrokerOptions().LongestAttemptTimeout > TimeSpan.FromDays(7), "the default must accept the API's longest timeout");
    }

    [Fact]
    public void An_agent_timeout_above_the_broker_limit_stops_the_host_naming_both_settings()
    {
        var check = new AgentTimeoutsFitBroker(Options.Create(new BrokerOptions { ConsumerTimeout = TimeSpan.FromHours(2) }));

        var result = check.Validate(null, Agents(3600));

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith("Supervisor:Agents:shell:TimeoutSeconds: 3600 is above 3150", failure, StringComparison.Ordinal);
        Assert.Contains("Supervisor:Broker:ConsumerTimeout", failure, StringComparison.Ordinal);
        Assert.True(check.Validate(null, Agents(3150)).Succeeded);
    }

    [Fact]
    public void A_consumer_timeout_below_an_hour_is_refused()
    {
        Assert.Contains("Supervisor:Broker:ConsumerTimeout: must be between 1h and 24d",
            Assert.Single(new BrokerOptions { ConsumerTimeout = TimeSpan.FromMinutes(30) }.Validate()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("worktree", null, 0, "IdleTimeoutSeconds: must be between 1 and the agent's TimeoutSeconds")]
    [InlineData("worktree", null, 7200, "IdleTimeoutSeconds: must be between 1 and the agent's TimeoutSeconds")]
    [InlineData("worktree", 8, null, "MemoryMb: must be between 16 and 1048576")]
    [InlineData("container", 512, null, "MemoryMb: applies to worktree and none agents; a container agent's limit is Supervisor:Agents:shell:Container:MemoryMb")]
    public void An_idle_timeout_or_memory_limit_out_of_range_names_its_key(string isolation, int? memoryMb, int? idleSeconds, string error)
    {
        var options = Agents(3600);
        var agent = options.Agents["shell"];
        (agent.Isolation, agent.Image, agent.MemoryMb, agent.IdleTimeoutSeconds) = (isolation, "debian:12-slim", memoryMb, idleSeconds);

        Assert.Contains(options.Validate(), e => e == "Supervisor:Agents:shell:" + error + (error.Contains("TimeoutSeconds", StringComparison.Ordinal)
            ? " (3600); leave it unset for none." : error.StartsWith("MemoryMb: must", StringComparison.Ordinal) ? "; leave it unset for none." : "."));
    }
}
