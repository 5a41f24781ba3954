using Quartz;

namespace Supervisor.Service.Scheduling;

static partial class SchedulerLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Message scheduler {SchedulerName} started as instance {InstanceId}")]
    public static partial void Started(ILogger logger, string schedulerName, string instanceId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Scheduled {TokenId} to {Destination} at {FireAt:O}")]
    public static partial void Scheduled(ILogger logger, Guid tokenId, Uri destination, DateTimeOffset fireAt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Cancelled {TokenId} (found: {Found})")]
    public static partial void Cancelled(ILogger logger, Guid tokenId, bool found);

    [LoggerMessage(Level = LogLevel.Debug,
        Message = "Sent {TokenId} as message {MessageId} to {Destination}, due {ScheduledAt:O}, fired {FiredAt:O} by trigger {Trigger}")]
    public static partial void Sent(ILogger logger, Guid tokenId, Uri destination, string? messageId, DateTimeOffset? scheduledAt,
        DateTimeOffset firedAt, TriggerKey trigger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending scheduled message {TokenId} to {Destination} failed (retry {RetryAttempt}); Quartz retries it")]
    public static partial void SendFailed(ILogger logger, Exception exception, Guid tokenId, Uri destination, int retryAttempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped a redelivered ScheduleMessage {TokenId}: its job is stored already")]
    public static partial void AlreadyStored(ILogger logger, Guid tokenId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not mark scheduled message {TokenId} as sent; a redelivered ScheduleMessage would send it again")]
    public static partial void MarkSentFailed(ILogger logger, Exception exception, Guid tokenId);
}
