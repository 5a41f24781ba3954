namespace Supervisor.Service.Notifications;

/// <summary>
/// Sent by <see cref="NotificationFanOut"/> to queue <c>notification-deliveries</c>: tell one webhook (by its name, never
/// its URL, so that no secret of the URL sits in a queue) that a task needs attention. <paramref name="DeliveryId"/> is
/// the same for every copy of one delivery (<c>X-Supervisor-Delivery</c>), so that a receiver can drop a repeat.
/// </summary>
public sealed record DeliverNotification(Guid DeliveryId, string Webhook, string Kind, Guid TaskId, string? State, string? Agent, string? Reason, DateTime At);
