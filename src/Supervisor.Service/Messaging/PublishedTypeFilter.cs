using MassTransit;

namespace Supervisor.Service.Messaging;

/// <summary>
/// A message published to the exchange of one message type is consumed as that type only. The broker's permissions
/// (docs/operations.md, "Broker users") let a worker write to the exchanges of worker messages, but a message's body
/// names its own types: without this check, an envelope saying <c>ApproveTask</c>, published by an agent holding the
/// worker's credentials to <c>Supervisor.Contracts:AgentJobStarted</c>, would reach the saga's queue and approve a task.
/// The broker says which exchange a delivery was published to; such a delivery goes to the endpoint's error queue.
/// Sends to a queue's own exchange (no <c>:</c> in its name) are not checked: workers may write none of the service's.
/// </summary>
sealed class PublishedTypeFilter : IFilter<ConsumeContext>
{
    const string FaultType = "urn:message:MassTransit:Fault";

    public Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        if (context.ReceiveContext.TryGetPayload<RabbitMqBasicConsumeContext>(out var rabbit) && PublishedType(rabbit.Exchange) is { } published)
        {
            var others = context.SupportedMessageTypes
                .Where(t => t != published && !(t == FaultType && published.StartsWith(FaultType + "[[", StringComparison.Ordinal)))
                .ToList();
            if (others.Count > 0)
            {
                throw new InvalidOperationException(
                    $"A message published to exchange {rabbit.Exchange} says it is {string.Join(", ", others)}: refused (only {published} comes through that exchange).");
            }
        }

        return next.Send(context);
    }

    /// <summary>The message type an exchange is named after (<c>NS:Type</c>, <c>MassTransit:Fault--NS:Type--</c>), or null.</summary>
    internal static string? PublishedType(string? exchange)
    {
        if (string.IsNullOrEmpty(exchange) || !exchange.Contains(':', StringComparison.Ordinal))
            return null;
        var name = exchange;
        if (name.EndsWith("--", StringComparison.Ordinal) && name.IndexOf("--", StringComparison.Ordinal) is var open and > 0 && open < name.Length - 2)
            name = name[..open] + "[[" + name[(open + 2)..^2] + "]]";
        return "urn:message:" + name;
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("publishedType");
}
