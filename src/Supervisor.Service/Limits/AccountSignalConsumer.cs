using MassTransit;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Rules.Limits;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Limits;

/// <summary>
/// Records each limit a worker reports, live (<see cref="AccountLimitSignalled"/>) or with an attempt's failure
/// (<see cref="AgentAttemptFailed.Limit"/>), against its account for the whole fleet: the account is cooling or blocked
/// until the limit's reset, capped by the agent's <c>Limits:MaxBlock</c>. A report of a kind or an agent this service does
/// not know is logged and dropped: it cannot be weighed.
/// </summary>
public sealed partial class AccountSignalConsumer(IAccountStore accounts, AgentCatalog catalog, TimeProvider clock, ILogger<AccountSignalConsumer> logger)
    : IConsumer<AccountLimitSignalled>, IConsumer<AgentAttemptFailed>
{
    public Task Consume(ConsumeContext<AccountLimitSignalled> context) =>
        RecordAsync(context.Message.Agent, context.Message.Limit, context.Message.TaskId, context.Message.AttemptId, context.Message.WorkerId, context.CancellationToken);

    public Task Consume(ConsumeContext<AgentAttemptFailed> context) =>
        context.Message.Limit is { } limit
            ? RecordAsync(context.Message.Agent, limit, context.Message.TaskId, context.Message.AttemptId, context.Message.WorkerId, context.CancellationToken)
            : Task.CompletedTask;

    async Task RecordAsync(string agent, LimitReport report, Guid taskId, Guid attemptId, string worker, CancellationToken cancellationToken)
    {
        if (LimitNames.Signal(report) is not { } signal || !catalog.TryGet(agent, out var profile) || !LimitOptions.IsValidAccount(report.Account))
        {
            LogDropped(report.Account, agent, report.Kind);
            return;
        }

        var observedAt = DateTime.SpecifyKind(report.ObservedAt, DateTimeKind.Utc);
        var outcome = await accounts.RecordSignalAsync(new AccountSignal(report.Account, agent, signal, observedAt, taskId, attemptId, worker),
            profile.Limits.ToAccountLimits(), clock.GetUtcNow().UtcDateTime, cancellationToken);
        if (outcome.Effect != SignalEffect.Unchanged)
            LogBlocked(report.Account, LimitNames.Of(outcome.Status.State), outcome.Status.BlockedUntil, report.Kind, taskId, signal.Evidence);
    }

    [LoggerMessage(LogLevel.Warning, "Account {Account} {State} until {Until:O} ({Kind}, reported by task {TaskId}): {Evidence}")]
    partial void LogBlocked(string account, string state, DateTime? until, string kind, Guid taskId, string evidence);

    [LoggerMessage(LogLevel.Warning, "A limit report for account {Account} (agent {Agent}, kind {Kind}) was dropped: unknown agent or kind, or not an account name")]
    partial void LogDropped(string account, string agent, string kind);
}

public sealed class AccountSignalConsumerDefinition : ConsumerDefinition<AccountSignalConsumer>
{
    public AccountSignalConsumerDefinition()
    {
        EndpointName = "account-limits";
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<AccountSignalConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // A limit lost to a database outage would let every queued task of the account run into it: ride the outage out.
        endpointConfigurator.UseStorageRideOut(context);
    }
}
