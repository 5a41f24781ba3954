using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Rules.Limits;
using Supervisor.Service.Storage;
using Supervisor.Service.Tasks;

namespace Supervisor.Service.Limits;

/// <summary>
/// The release step, every second: for each account that is not ok or has tasks parked on it, under the account's row
/// lock, <see cref="LimitPlanner.PlanRelease"/> decides — at a block's end one waiter goes first as the probe; when the
/// probe's attempt ends without a limit the account is ok and the waiters go, spread over the agent's
/// <c>Limits:ReleaseSpread</c>, as many as its <c>Limits:MaxConcurrent</c> has room for. Each released task is then sent a
/// <see cref="LimitReleased"/> at its time, again every few seconds until the saga has taken it. Everything it works from is
/// in the database, so a restart of the service, or several instances, change nothing. In the same step, each task
/// queued on a concurrency key whose key has room is sent a <see cref="KeyReleased"/>.
/// </summary>
public sealed partial class AccountRelease(
    IAccountStore accounts, IKeyWaiters keys, AgentCatalog catalog, IOptions<LimitSettings> settings, IBus bus, TimeProvider clock,
    ILogger<AccountRelease> logger)
    : BackgroundService
{
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>A release the saga has not acted on yet (the message lost, the service restarting) is sent again after this.</summary>
    static readonly TimeSpan ResendAfter = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        var failing = false;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await StepAsync(stoppingToken);
                failing = false;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (!failing)
                    LogFailed(e.Message);
                failing = true;
            }
        }
    }

    async Task StepAsync(CancellationToken cancellationToken)
    {
        foreach (var account in await accounts.PendingReleaseAsync(cancellationToken))
        {
            var plan = await accounts.ReleaseAsync(account, Plan, TaskStateMachine.ReservationHold, Now(), cancellationToken);
            if (plan.Releases.Count > 0 || plan.EpisodeEnded)
                LogReleased(account, LimitNames.Of(plan.Status.State), plan.Releases.Count, plan.Releases.Any(r => r.Probe));
        }

        var due = await accounts.TakeDueReleasesAsync(Now(), ResendAfter, TaskStateMachine.ReservationHold, cancellationToken);
        var startable = await keys.StartableAsync(Now(), cancellationToken);
        if (due.Count == 0 && startable.Count == 0)
            return;
        var endpoint = await bus.GetSendEndpoint(AgentQueues.TaskStateAddress);
        foreach (var release in due)
            await endpoint.Send(new LimitReleased(release.TaskId, release.Account, release.Probe), cancellationToken);
        foreach (var task in startable)
            await endpoint.Send(new KeyReleased(task), cancellationToken);
    }

    ReleasePlan Plan(AccountToRelease account)
    {
        // An agent removed from the configuration still releases its waiters, under the shipped defaults.
        var options = catalog.TryGet(account.Agent, out var profile) ? profile.Limits : new LimitOptions();
        var waiters = account.Waiters
            .Select(w => new AccountWaiter(w.TaskId, w.Since, w.CappedWithNextAgent && (LimitNames.OnLimitOrNull(w.OnLimit) ?? options.OnLimit) == OnLimit.Fallback))
            .ToList();
        return LimitPlanner.PlanRelease(account.Snapshot, waiters,
            options.ToAccountLimits() with { ProbeHold = TaskStateMachine.ReservationHold, BudgetTimeZone = settings.Value.BudgetZone }, account.Probe);
    }

    DateTime Now() => clock.GetUtcNow().UtcDateTime;

    [LoggerMessage(LogLevel.Information, "Account {Account} is {State}: {Released} waiting task(s) released (probe: {Probe})")]
    partial void LogReleased(string account, string state, int released, bool probe);

    [LoggerMessage(LogLevel.Warning, "The release step of blocked accounts failed ({Reason}); trying again every second")]
    partial void LogFailed(string reason);
}
