using MassTransit;
using MassTransit.Serialization;
using Quartz;
using Supervisor.Hosting;

namespace Supervisor.Service.Scheduling;

/// <summary>Sends a stored message to its destination when its trigger fires: same id, type, body, correlation ids and headers.</summary>
/// <remarks>
/// <para>
/// The job store records this class by its assembly-qualified name: renaming the class, its namespace or the assembly
/// strands every job already stored (map the old name under <c>Quartz:TypeLoader:Aliases</c> if it must move).
/// </para>
/// <para>
/// Delivery is at least once. A job requests recovery, so a service that dies after the broker confirmed the send but
/// before the job store recorded the completion runs it again (on another instance, or after a restart): downstream
/// consumers are idempotent. A failed send (broker unreachable, bus stopping) is retried with backoff for about a day
/// before the occurrence is given up.
/// </para>
/// <para>
/// A sent message's job outlives it by an hour: before its trigger completes it gets a second one, which does nothing
/// when it fires, and whose completion lets Quartz delete the job. A ScheduleMessage redelivered after its job fired (the
/// service died between storing it and acknowledging it) finds the job and is dropped instead of sending it again.
/// </para>
/// </remarks>
[RetryPolicy(1000, "00:00:01", 2, MaxDelay = "00:01:30", Jitter = 0.2)]
public sealed class ScheduledMessageJob(IBus bus, ILogger<ScheduledMessageJob> logger) : IJob
{
    /// <summary>The group of what the service's own scheduler queue stores (saga schedules, schedules' fires).</summary>
    public const string Group = "scheduled-messages";

    /// <summary>
    /// The group of workers' delayed retries (<see cref="WorkerRedeliveryConsumer"/>): a token a worker chooses never names
    /// a job of the service's, so it can neither replace nor pre-empt one.
    /// </summary>
    public const string WorkerGroup = "worker-redeliveries";

    const string SentSuffix = "-sent";
    internal const string DestinationKey = "Destination";
    internal const string EnvelopeKey = "Envelope";

    /// <summary>How long a sent message's job outlives it; a ScheduleMessage redelivered later than this is sent again.</summary>
    static readonly TimeSpan SentRetention = TimeSpan.FromHours(1);

    /// <summary>One job and one trigger per scheduling token and group.</summary>
    public static JobKey JobKeyFor(Guid tokenId, string group = Group) => new(tokenId.ToString("N"), group);

    public static TriggerKey TriggerKeyFor(Guid tokenId, string group = Group) => new(tokenId.ToString("N"), group);

    /// <summary>The trigger that keeps the job of a sent message, and does nothing when it fires.</summary>
    static TriggerKey SentKeyFor(JobKey job) => new(job.Name, job.Group + SentSuffix);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        // The marker's firing (or its recovery after a crash) has nothing to send.
        if ((context.Recovering ? context.RecoveringTriggerKey : context.Trigger.Key)?.Group.EndsWith(SentSuffix, StringComparison.Ordinal) == true)
            return;

        var data = context.MergedJobDataMap;
        var destination = new Uri(data.GetString(DestinationKey) ?? throw new JobExecutionException($"{context.JobDetail.Key} has no destination."));
        var envelope = ScheduledEnvelope.Read(data.GetString(EnvelopeKey) ?? throw new JobExecutionException($"{context.JobDetail.Key} has no envelope."));
        var tokenId = Guid.ParseExact(context.JobDetail.Key.Name, "N");

        try
        {
            var endpoint = await bus.GetSendEndpoint(destination);
            // A send that hangs (see BrokerCalls) fails this firing after a while; the job's retry policy sends again.
            await BrokerCalls.OnceAsync(token => endpoint.Send(new SerializedMessageBody(),
                Pipe.Execute<SendContext>(send => Forward(send, envelope, tokenId, context)), token), BrokerCalls.DefaultTimeout, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            SchedulerLog.SendFailed(logger, e, tokenId, destination, context.RetryAttempt);
            throw;
        }

        SchedulerLog.Sent(logger, tokenId, destination, envelope.MessageId, context.ScheduledFireTimeUtc, context.FireTimeUtc,
            context.Trigger.Key);
        await MarkSentAsync(context, tokenId, cancellationToken);
    }

    async Task MarkSentAsync(IJobExecutionContext context, Guid tokenId, CancellationToken cancellationToken)
    {
        var marker = TriggerBuilder.Create()
            .WithIdentity(SentKeyFor(context.JobDetail.Key))
            .ForJob(context.JobDetail.Key)
            .StartAt(context.FireTimeUtc + SentRetention)
            .WithSchedule(SimpleScheduleBuilder.Create().WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
            .Build();
        try
        {
            await context.Scheduler.ScheduleJob(marker, ScheduleJobOptions.Replacing, cancellationToken);
        }
        catch (SchedulerException e)
        {
            // The message is sent: failing the job now would send it again. Without the marker only a redelivered
            // ScheduleMessage could repeat it, which idempotent consumers absorb.
            SchedulerLog.MarkSentFailed(logger, e, tokenId);
        }
    }

    static void Forward(SendContext send, MessageEnvelope envelope, Guid tokenId, IJobExecutionContext job)
    {
        // The serializer below writes the stored envelope, but takes ids and addresses from the send context: set them
        // from the envelope, or the bus would give the message a new id and its own source address.
        if (ParseId(envelope.MessageId) is { } messageId)
            send.MessageId = messageId;
        send.RequestId = ParseId(envelope.RequestId);
        send.CorrelationId = ParseId(envelope.CorrelationId);
        send.ConversationId = ParseId(envelope.ConversationId);
        send.InitiatorId = ParseId(envelope.InitiatorId);
        send.SourceAddress = ParseAddress(envelope.SourceAddress);
        send.ResponseAddress = ParseAddress(envelope.ResponseAddress);
        send.FaultAddress = ParseAddress(envelope.FaultAddress);
        if (envelope.ExpirationTime is { } expires)
        {
            // A message that expired while it waited still goes: its consumer, not the scheduler, decides what late means.
            var left = expires.ToUniversalTime() - DateTime.UtcNow;
            send.TimeToLive = left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1);
        }

        // On the send context too, not only in the envelope, so that the transport headers carry them as well.
        foreach (var (key, value) in envelope.Headers ?? new Dictionary<string, object?>(StringComparer.Ordinal))
        {
            if (ScheduledEnvelope.HeaderValue(value) is { } converted)
                send.Headers.Set(key, converted);
        }

        send.Headers.Set(MessageHeaders.SchedulingTokenId, tokenId.ToString("D"));
        if (job.ScheduledFireTimeUtc is { } scheduled)
            send.Headers.Set(MessageHeaders.Quartz.Scheduled, scheduled.ToString("O"));
        send.Headers.Set(MessageHeaders.Quartz.Sent, job.FireTimeUtc.ToString("O"));

        send.Serializer = new SystemTextJsonBodyMessageSerializer(envelope, SystemTextJsonMessageSerializer.JsonContentType,
            SystemTextJsonMessageSerializer.Options, envelope.MessageType);
    }

    static Guid? ParseId(string? id) => Guid.TryParse(id, out var guid) ? guid : null;

    static Uri? ParseAddress(string? address) => Uri.TryCreate(address, UriKind.Absolute, out var uri) ? uri : null;
}
