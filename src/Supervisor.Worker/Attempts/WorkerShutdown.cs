using Microsoft.Extensions.Options;

using Supervisor.Worker.Settings;
namespace Supervisor.Worker.Attempts;

/// <summary>
/// A worker asked to stop takes no new job (the bus stops its endpoints) and gives running attempts
/// <c>Supervisor:Worker:ShutdownGrace</c> to finish; then <see cref="GraceExpired"/> fires and they are killed
/// and handed back.
/// </summary>
public sealed class WorkerShutdown : IDisposable
{
    readonly CancellationTokenSource _graceExpired = new();

    public WorkerShutdown(IHostApplicationLifetime lifetime, IOptions<WorkerOptions> options)
    {
        var grace = options.Value.ShutdownGrace;
        lifetime.ApplicationStopping.Register(() => _graceExpired.CancelAfter(grace));
    }

    public CancellationToken GraceExpired => _graceExpired.Token;

    public void Dispose() => _graceExpired.Dispose();
}
