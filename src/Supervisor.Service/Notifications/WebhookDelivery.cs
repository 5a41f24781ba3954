using System.Diagnostics;
using System.Net;
using System.Text;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Supervisor.Service.Notifications;

/// <summary>
/// POSTs one notification to its webhook. A failure (no answer within <see cref="NotificationOptions.Timeout"/>, a
/// connection refused, a 5xx, 408 or 429) throws, and the endpoint's scheduled redelivery tries again after the next of
/// <see cref="NotificationOptions.RetryIntervals"/>, holding no consumer meanwhile; after the last one the delivery goes
/// to <c>notification-deliveries_error</c>, logged once. Any other 4xx is the webhook refusing it: no retry.
/// Only the webhook's name and host are ever logged or put in an exception: a URL's path or query may be its secret.
/// </summary>
public sealed partial class WebhookDelivery(IHttpClientFactory clients, IOptions<NotificationOptions> options, ILogger<WebhookDelivery> logger)
    : IConsumer<DeliverNotification>
{
    public const string Queue = "notification-deliveries";
    public const string ClientName = "webhooks";
    public const string SignatureHeader = "X-Supervisor-Signature";
    public const string DeliveryHeader = "X-Supervisor-Delivery";

    public async Task Consume(ConsumeContext<DeliverNotification> context)
    {
        var settings = options.Value;
        var notification = context.Message;
        if (!settings.Webhooks.TryGetValue(notification.Webhook, out var webhook))
        {
            LogUnknownWebhook(notification.Webhook, notification.Kind, notification.TaskId);
            return;
        }

        var address = webhook.Address();
        var host = address.Authority;
        var tries = context.GetRedeliveryCount() + 1;
        var last = tries > settings.EffectiveRetryIntervals.Count;
        string failure;
        try
        {
            var status = await PostAsync(webhook, address, WebhookBodies.For(webhook, notification, settings.LinkBase), notification.DeliveryId, context.CancellationToken);
            if ((int)status is >= 200 and < 300)
            {
                LogDelivered(notification.Kind, notification.TaskId, notification.Webhook, host, tries);
                return;
            }

            failure = $"answered {(int)status} {status}";
            if ((int)status is >= 400 and < 500 && status is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests))
            {
                LogRefused(notification.Kind, notification.TaskId, notification.Webhook, host, failure);
                throw new WebhookRefusedException($"Webhook '{notification.Webhook}' ({host}) {failure}: not retried.");
            }
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !context.CancellationToken.IsCancellationRequested))
        {
            // The exception's own text names the host and port at most; the URL is taken out in case a handler quotes it.
            failure = $"{e.GetType().Name}: {e.Message.Replace(address.OriginalString, host, StringComparison.Ordinal)}";
        }

        if (last)
            LogGaveUp(notification.Kind, notification.TaskId, notification.Webhook, host, tries, failure);
        else
            LogWillRetry(notification.Kind, notification.TaskId, notification.Webhook, host, tries, failure);
        throw new WebhookDeliveryException($"Webhook '{notification.Webhook}' ({host}) {failure} (try {tries}).");
    }

    async Task<HttpStatusCode> PostAsync(WebhookOptions webhook, Uri address, string body, Guid deliveryId, CancellationToken cancellationToken)
    {
        // A span of this call would record its full URL (url.full), secret and all: outside any trace, the hosts' sampler
        // starts none (SupervisorTelemetry). This async method's change of the current activity does not reach its caller.
        Activity.Current = null;
        using var request = new HttpRequestMessage(HttpMethod.Post, address) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation(DeliveryHeader, deliveryId.ToString());
        foreach (var (name, value) in webhook.Headers)
            request.Headers.TryAddWithoutValidation(name, value);
        if (!string.IsNullOrEmpty(webhook.Secret))
            request.Headers.TryAddWithoutValidation(SignatureHeader, WebhookBodies.Signature(webhook.Secret.Trim(), body));
        using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return response.StatusCode;
    }

    [LoggerMessage(LogLevel.Information, "Notified webhook {Webhook} ({Host}) that task {TaskId} is {Kind} (try {Tries})")]
    partial void LogDelivered(string kind, Guid taskId, string webhook, string host, int tries);

    [LoggerMessage(LogLevel.Warning, "Webhook {Webhook} ({Host}) was not told that task {TaskId} is {Kind} (try {Tries}; it is tried again): {Failure}")]
    partial void LogWillRetry(string kind, Guid taskId, string webhook, string host, int tries, string failure);

    [LoggerMessage(LogLevel.Error, "Gave up notifying webhook {Webhook} ({Host}) that task {TaskId} is {Kind} after {Tries} tries: {Failure}; the delivery is in notification-deliveries_error")]
    partial void LogGaveUp(string kind, Guid taskId, string webhook, string host, int tries, string failure);

    [LoggerMessage(LogLevel.Error, "Webhook {Webhook} ({Host}) refused the notification that task {TaskId} is {Kind}: {Failure}; the delivery is in notification-deliveries_error")]
    partial void LogRefused(string kind, Guid taskId, string webhook, string host, string failure);

    [LoggerMessage(LogLevel.Warning, "A notification that task {TaskId} is {Kind} names webhook {Webhook}, which is no longer configured: dropped")]
    partial void LogUnknownWebhook(string webhook, string kind, Guid taskId);
}

/// <summary>A delivery failed and may succeed later (the endpoint's redelivery tries again).</summary>
public sealed class WebhookDeliveryException(string message) : Exception(message);

/// <summary>The webhook answered with a 4xx that trying again would not change (not 408 or 429).</summary>
public sealed class WebhookRefusedException(string message) : Exception(message);

/// <summary>
/// Endpoint policy of <c>notification-deliveries</c>: redelivery scheduled through the service's scheduler (Quartz in
/// PostgreSQL; the broker has no delayed-message plugin) after each of <see cref="NotificationOptions.RetryIntervals"/>,
/// so that a webhook that is down holds no consumer while it waits; a refusal is not retried.
/// </summary>
public sealed class WebhookDeliveryDefinition : ConsumerDefinition<WebhookDelivery>
{
    const int Concurrency = 8;

    public WebhookDeliveryDefinition()
    {
        EndpointName = WebhookDelivery.Queue;
        ConcurrentMessageLimit = Concurrency;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<WebhookDelivery> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = Concurrency;
        var intervals = context.GetRequiredService<IOptions<NotificationOptions>>().Value.EffectiveRetryIntervals;
        endpointConfigurator.UseScheduledRedelivery(r =>
        {
            r.Ignore<WebhookRefusedException>();
            r.Intervals([.. intervals]);
        });
    }
}
