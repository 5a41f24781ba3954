using MassTransit;
using Quartz;

namespace Supervisor.Service.Scheduling;

/// <summary>
/// Runs the Quartz scheduler only while the bus can send: started once the bus is ready, put in standby before it stops.
/// </summary>
/// <remarks>
/// A trigger that fired before the bus was up would fail its send. In standby the scheduler still stores and deletes jobs
/// (the scheduler endpoint drains while the bus stops) but fires nothing; other instances of the cluster, or this one
/// after a restart, fire what falls due meanwhile. Quartz's hosted service creates the scheduler and shuts it down.
/// </remarks>
sealed class SchedulerBusObserver(ISchedulerFactory schedulerFactory, ILogger<SchedulerBusObserver> logger) : IBusObserver
{
    public void PostCreate(IBus bus)
    {
    }

    public void CreateFaulted(Exception exception)
    {
    }

    public Task PreStart(IBus bus) => Task.CompletedTask;

    public async Task PostStart(IBus bus, Task<BusReady> busReady)
    {
        await busReady;
        var scheduler = await schedulerFactory.GetScheduler();
        await scheduler.Start();
        SchedulerLog.Started(logger, scheduler.SchedulerName, scheduler.SchedulerInstanceId);
    }

    public Task StartFaulted(IBus bus, Exception exception) => Task.CompletedTask;

    public async Task PreStop(IBus bus)
    {
        var scheduler = await schedulerFactory.GetScheduler();
        await scheduler.Standby();
    }

    public Task PostStop(IBus bus) => Task.CompletedTask;

    public Task StopFaulted(IBus bus, Exception exception) => Task.CompletedTask;
}
