using MassTransit.Scheduling;

namespace Supervisor.Service.Schedules;

/// <summary>
/// Scheduled (through the service's message scheduler, in the clustered Quartz store) for a schedule's next fire; the
/// service that receives it decides what is due. <see cref="TokenId"/> is derived from the schedule and the time, so
/// arming the same wake-up twice stores one.
/// </summary>
public sealed record ScheduleWake(Guid ScheduleId, DateTime At, Guid TokenId)
{
    static readonly Guid WakeNamespace = new("8f0d3c52-5b1e-4f7a-9c7e-2a6d1b4e9f30");

    static ScheduleWake() => ScheduleTokenId.UseTokenId<ScheduleWake>(w => w.TokenId);

    public static ScheduleWake For(Guid scheduleId, DateTime at) =>
        new(scheduleId, at, FireIds.NameBased(WakeNamespace, $"{scheduleId:N}/wake/{at.Ticks}"));
}
