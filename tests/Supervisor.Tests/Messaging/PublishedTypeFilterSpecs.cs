using Supervisor.Service.Messaging;

namespace Supervisor.Tests.Messaging;

public sealed class PublishedTypeFilterSpecs
{
    [Theory]
    [InlineData("Supervisor.Contracts:AgentJobStarted", "urn:message:Supervisor.Contracts:AgentJobStarted")]
    [InlineData("MassTransit:Fault--Supervisor.Contracts:RunAgentJob--", "urn:message:MassTransit:Fault[[Supervisor.Contracts:RunAgentJob]]")]
    [InlineData("task-state", null)]
    [InlineData("agent-shell", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void An_exchange_named_after_a_message_type_says_which_type_comes_through_it(string? exchange, string? type) =>
        Assert.Equal(type, PublishedTypeFilter.PublishedType(exchange));
}
