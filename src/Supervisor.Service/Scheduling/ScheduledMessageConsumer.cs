using MassTransit;
using MassTransit.Scheduling;
using Quartz;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Scheduling;

/// <summary>
/// MassTransit's message scheduler protocol on Quartz: <see cref="ScheduleMessage"/> stores one job and one trigger keyed
/// by the scheduling token, <see cref="CancelScheduledMessage"/> deletes them.
/// </summary>
/// <remarks>
/// Both are idempotent: a ScheduleMessage redelivered by the broker is dropped if its job is stored already (pending or
/// sent), a repeated one replaces it, and cancelling a token that has fired, was cancelled already or never existed does
/// nothing.
/// </remarks>
public sealed class ScheduledMessageConsumer(ISchedulerFactory schedulerFactory, ILogger<ScheduledMessageConsumer> logger)
    : IConsumer<ScheduleMessage>, IConsumer<CancelScheduledMessage>
{
    public Task Consume(ConsumeContext<ScheduleMessage> context) => StoreAsync(context, ScheduledMessageJob.Group, schedulerFactory, logger);

    /// <summary>Stores <paramref name="context"/>'s message as a job of <paramref name="group"/>, keyed by its token.</summary>
    internal static async Task StoreAsync(ConsumeContext<ScheduleMessage> context, string group, ISchedulerFactory schedulerFactory, ILogger logger)
    {
        var tokenId = context.Message.CorrelationId;
        var envelope = ScheduledEnvelope.FromScheduleMessage(context);
        var fireAt = AsUtc(context.Message.ScheduledTime);

        var job = JobBuilder.Create<ScheduledMessageJob>()
            .WithIdentity(ScheduledMessageJob.JobKeyFor(tokenId, group))
            .RequestRecovery()
            .UsingJobData(ScheduledMessageJob.DestinationKey, context.Message.Destination.ToString())
            .UsingJobData(ScheduledMessageJob.EnvelopeKey, envelope)
            .Build();
        var trigger = TriggerBuilder.Create()
            .WithIdentity(ScheduledMessageJob.TriggerKeyFor(tokenId, group))
            .ForJob(job)
            .StartAt(fireAt)
            // A fire time missed while no scheduler ran (all instances down) fires as soon as one is back.
            .WithSchedule(SimpleScheduleBuilder.Create().WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
            .Build();

        var scheduler = await schedulerFactory.GetScheduler(context.CancellationToken);
        if (!context.ReceiveContext.Redelivered)
        {
            await scheduler.ScheduleJob(job, trigger, ScheduleJobOptions.Replacing, context.CancellationToken);
        }
        else
        {
            // The broker redelivers what an instance may have stored, or even fired, before it died unacknowledged. A job
            // outlives its send by an hour (see ScheduledMessageJob), so storing only what is absent never re-arms a job
            // that has fired, and the insert is atomic against a concurrent firing.
            try
            {
                await scheduler.ScheduleJob(job, trigger, default, context.CancellationToken);
            }
            catch (ObjectAlreadyExistsException)
            {
                SchedulerLog.AlreadyStored(logger, tokenId);
                return;
            }
        }

        SchedulerLog.Scheduled(logger, tokenId, context.Message.Destination, fireAt);
    }

    public async Task Consume(ConsumeContext<CancelScheduledMessage> context)
    {
        var scheduler = await schedulerFactory.GetScheduler(context.CancellationToken);
        var deleted = await scheduler.DeleteJob(ScheduledMessageJob.JobKeyFor(context.Message.TokenId), context.CancellationToken);
        SchedulerLog.Cancelled(logger, context.Message.TokenId, deleted);
    }

    // ScheduledTime is UTC by contract; a time read without a zone is taken as UTC rather than as this machine's local time.
    static DateTimeOffset AsUtc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Local => new DateTimeOffset(time.ToUniversalTime(), TimeSpan.Zero),
        _ => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc), TimeSpan.Zero),
    };
}

/// <summary>Endpoint policy of the scheduler: queue <c>scheduler</c>, bounded concurrency, retries for database trouble.</summary>
public sealed class ScheduledMessageConsumerDefinition : ConsumerDefinition<ScheduledMessageConsumer>
{
    // Every schedule and cancel takes Quartz's TRIGGER_ACCESS row lock in the shared database: more would only queue there.
    const int Concurrency = 8;

    public ScheduledMessageConsumerDefinition()
    {
        EndpointName = "scheduler";
        ConcurrentMessageLimit = Concurrency;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ScheduledMessageConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = Concurrency * 2;
        RideOutStorage(endpointConfigurator, context);

        // A schedule and a cancel of one token are handled one at a time, in arrival order, so a cancel never overtakes
        // the schedule it cancels within this instance.
        var partition = endpointConfigurator.CreatePartitioner(Concurrency);
        consumerConfigurator.Message<ScheduleMessage>(m => m.UsePartitioner(partition, c => c.Message.CorrelationId));
        consumerConfigurator.Message<CancelScheduledMessage>(m => m.UsePartitioner(partition, c => c.Message.TokenId));
    }

    /// <summary>
    /// A scheduled message that reaches the error queue is a redelivery that never happens: wait out a database outage
    /// (Quartz's store is that database) before giving up. Malformed messages fail at once.
    /// </summary>
    internal static void RideOutStorage(IReceiveEndpointConfigurator endpointConfigurator, IRegistrationContext context)
    {
        var faults = context.GetRequiredService<IStorageFaults>();
        endpointConfigurator.UseStorageRideOut(context,
            e => e is JobPersistenceException or TimeoutException || faults.IsStoreError(e) || faults.IsRetryable(e), TimeSpan.FromMilliseconds(200));
    }
}
