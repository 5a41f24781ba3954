using Microsoft.Extensions.Options;

using Supervisor.Worker.Settings;
namespace Supervisor.Worker;

/// <summary>Says once the bus is up and every agent queue is consumed, so operators (and tests) know the worker is ready.</summary>
sealed partial class WorkerAnnouncement(IHostApplicationLifetime lifetime, IOptions<WorkerOptions> options, ILogger<WorkerAnnouncement> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => LogReady(options.Value.Id, string.Join(", ", options.Value.Agents)));
        lifetime.ApplicationStopping.Register(() => LogStopping(options.Value.Id, (int)options.Value.ShutdownGrace.TotalSeconds));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Information, "Worker {WorkerId} ready: serving {Agents}")]
    partial void LogReady(string workerId, string agents);

    [LoggerMessage(LogLevel.Information, "Worker {WorkerId} stopping: no new jobs; running attempts get {GraceSeconds}s")]
    partial void LogStopping(string workerId, int graceSeconds);
}
