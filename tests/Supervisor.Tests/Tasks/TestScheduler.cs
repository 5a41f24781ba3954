using MassTransit;
using MassTransit.Context;
using MassTransit.Scheduling;

namespace Supervisor.Tests.Tasks;

/// <summary>
/// A message scheduler that holds what a saga schedules until the spec moves the <see cref="TestClock"/> past its time,
/// and forgets what the saga unschedules, as the service's Quartz scheduler does.
/// </summary>
/// <remarks>
/// MassTransit's harness offers the delayed scheduler; since 8.4.1 a spec can move the in-memory transport's time on
/// (<c>IInMemoryDelayProvider.Advance</c>), but that scheduler still cannot cancel, so an unscheduled timeout would
/// fire anyway and <see cref="Pending"/> could not be asked. Its Quartz time adjustment needs MassTransit.Quartz, which
/// the project does not use. Installed as a consume filter, like <c>UseMessageScheduler</c>, so a saga's <c>Schedule</c> and
/// <c>Unschedule</c> land here.
/// </remarks>
sealed class TestScheduler(TestClock clock) : IFilter<ConsumeContext>
{
    readonly Lock _gate = new();
    readonly Dictionary<Guid, Held> _held = [];

    /// <summary>The scheduling tokens of the messages neither sent nor cancelled yet.</summary>
    public IReadOnlyList<Guid> Pending
    {
        get
        {
            lock (_gate)
                return [.. _held.Keys];
        }
    }

    /// <summary>Sends, in their time order, the messages whose time has come; returns the ids they were sent with.</summary>
    public async Task<IReadOnlyList<Guid>> SendDue(ISendEndpointProvider bus)
    {
        List<Held> due;
        lock (_gate)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            due = [.. _held.Values.Where(m => m.At <= now).OrderBy(m => m.At)];
            foreach (var message in due)
                _held.Remove(message.TokenId);
        }

        var sent = new List<Guid>();
        foreach (var message in due)
            sent.Add(await message.Send(bus));
        return sent;
    }

    public Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        context.GetOrAddPayload<MessageSchedulerContext>(() => new ConsumeMessageSchedulerContext(context,
            c => new MessageScheduler(new Provider(this), c.GetPayload<IBusTopology>())));
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("test-scheduler");

    // The time comes from MassTransit, reckoned on the real clock.
    void Hold(Guid tokenId, DateTime scheduledTime, Func<ISendEndpointProvider, Task<Guid>> send)
    {
        lock (_gate)
            _held[tokenId] = new Held(tokenId, clock.FromRealTime(scheduledTime), send);
    }

    void Cancel(Guid tokenId)
    {
        lock (_gate)
            _held.Remove(tokenId);
    }

    sealed record Held(Guid TokenId, DateTime At, Func<ISendEndpointProvider, Task<Guid>> Send);

    sealed class Provider(TestScheduler scheduler) : IScheduleMessageProvider
    {
        public Task<ScheduledMessage<T>> ScheduleSend<T>(Uri destinationAddress, DateTime scheduledTime, T message,
            IPipe<SendContext<T>> pipe, CancellationToken cancellationToken)
            where T : class
        {
            var tokenId = ScheduleTokenIdCache<T>.GetTokenId(message, NewId.NextGuid());
            scheduler.Hold(tokenId, scheduledTime, async bus =>
            {
                var messageId = NewId.NextGuid();
                var endpoint = await bus.GetSendEndpoint(destinationAddress);
                await endpoint.Send(message, Pipe.ExecuteAsync<SendContext<T>>(async send =>
                {
                    await pipe.Send(send);
                    send.MessageId = messageId;
                    // What tells a saga which of its schedules this is: one replaced or unscheduled meanwhile is ignored.
                    send.Headers.Set(MessageHeaders.SchedulingTokenId, tokenId.ToString("D"));
                }));
                return messageId;
            });
            return Task.FromResult<ScheduledMessage<T>>(new ScheduledMessageHandle<T>(tokenId, scheduledTime, destinationAddress, message));
        }

        public Task CancelScheduledSend(Guid tokenId, CancellationToken cancellationToken)
        {
            scheduler.Cancel(tokenId);
            return Task.CompletedTask;
        }

        public Task CancelScheduledSend(Uri destinationAddress, Guid tokenId, CancellationToken cancellationToken) =>
            CancelScheduledSend(tokenId, cancellationToken);
    }
}
