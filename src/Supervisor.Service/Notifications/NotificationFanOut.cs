using System.Security.Cryptography;
using System.Text;
using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Rules.Redaction;

namespace Supervisor.Service.Notifications;

/// <summary>
/// Turns each event that needs a person into one <see cref="DeliverNotification"/> per webhook that wants its kind, on
/// queue <c>notifications</c>, apart from the saga: the saga only publishes, and each webhook's delivery succeeds, waits or
/// fails on its own. The events: <see cref="TaskAttentionRaised"/> (the saga's), and a job's fault that no attempt
/// reported — the job that the worker moved to <c>agent-NAME_error</c> (its <c>ReportedFailureFilter</c> drops the others).
/// </summary>
public sealed class NotificationFanOut(IOptions<NotificationOptions> options) : IConsumer<TaskAttentionRaised>, IConsumer<Fault<RunAgentJob>>
{
    public const string Queue = "notifications";

    static readonly Uri Deliveries = new($"queue:{WebhookDelivery.Queue}");

    public Task Consume(ConsumeContext<TaskAttentionRaised> context)
    {
        var m = context.Message;
        return FanOutAsync(context, m.Kind, m.TaskId, m.State, m.Agent, m.Reason, m.At);
    }

    public Task Consume(ConsumeContext<Fault<RunAgentJob>> context)
    {
        var fault = context.Message;
        if (!WentToErrorQueue(fault))
            return Task.CompletedTask;
        var job = fault.Message;
        var why = fault.Exceptions?.FirstOrDefault(e => e is not null) is { } exception ? $"{exception.ExceptionType}: {exception.Message}" : "no exception recorded";
        return FanOutAsync(context, AttentionKinds.DeadLettered, job.TaskId, null, job.Agent,
            SecretRedactor.RedactCredentials($"its job (pass {job.Pass}) went to {AgentQueues.Name(job.Agent)}_error: {why}"), fault.Timestamp);
    }

    /// <summary>
    /// Whether the worker moved the job to its error queue: a fault whose exceptions are not all an attempt's reported
    /// failure (those carry their attempt's id, see the worker's <c>AgentAttemptException</c>).
    /// </summary>
    public static bool WentToErrorQueue(Fault<RunAgentJob> fault) =>
        fault.Exceptions is not { Length: > 0 } exceptions || exceptions.Any(e => e?.Data is null || !e.Data.ContainsKey("attemptId"));

    async Task FanOutAsync(ConsumeContext context, string kind, Guid taskId, string? state, string? agent, string? reason, DateTime at)
    {
        var webhooks = options.Value.Webhooks.Where(w => w.Value.Wants(kind)).Select(w => w.Key).Order(StringComparer.Ordinal).ToList();
        if (webhooks.Count == 0)
            return;
        var endpoint = await context.GetSendEndpoint(Deliveries);
        foreach (var webhook in webhooks)
        {
            await endpoint.Send(new DeliverNotification(DeliveryId(context.MessageId, webhook), webhook, kind, taskId, state, agent, reason, at),
                context.CancellationToken);
        }
    }

    /// <summary>The same for every copy of one event and webhook (a redelivered event fans out again with the same ids).</summary>
    static Guid DeliveryId(Guid? eventId, string webhook) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"{eventId}/{webhook}"))[..16]);
}

/// <summary>Endpoint policy of <c>notifications</c>: its sends leave together once it is done (outbox), and a broker hiccup is retried.</summary>
public sealed class NotificationFanOutDefinition : ConsumerDefinition<NotificationFanOut>
{
    public NotificationFanOutDefinition()
    {
        EndpointName = NotificationFanOut.Queue;
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<NotificationFanOut> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(r => r.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500)));
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
