using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Settings;

namespace Supervisor.Service.Notifications;

/// <summary>The service's webhook notifications: options, the HTTP client, and the two consumers (added to the bus by the caller).</summary>
public static class NotificationExtensions
{
    public static IServiceCollection AddSupervisorNotifications(this IServiceCollection services)
    {
        services.AddValidatedOptions<NotificationOptions>(NotificationOptions.Section);
        services.AddHttpClient(WebhookDelivery.ClientName)
            .ConfigureHttpClient((sp, client) => client.Timeout = sp.GetRequiredService<IOptions<NotificationOptions>>().Value.Timeout)
            // Its request logs would name the full URL, whose path may be the webhook's secret (Slack's is).
            .RemoveAllLoggers();
        return services;
    }

    public static void AddNotificationConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<NotificationFanOut, NotificationFanOutDefinition>();
        bus.AddConsumer<WebhookDelivery, WebhookDeliveryDefinition>();
    }
}
