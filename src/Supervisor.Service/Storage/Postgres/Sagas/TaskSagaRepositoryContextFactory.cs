using System.Data;
using MassTransit;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Supervisor.Service.Limits;
using Supervisor.Service.Tasks;

namespace Supervisor.Service.Storage.Postgres.Sagas;

/// <summary>
/// Our EF Core saga repository (MassTransit.EntityFrameworkCore is not available here): every message for a task
/// runs in one ReadCommitted transaction that row-locks the task with <c>SELECT … FOR UPDATE</c>, so events for one
/// task serialise while different tasks proceed in parallel. The state, its attempts and new audit-trail rows
/// commit together; the endpoint's outbox releases outgoing messages only after that commit. SaveChanges sets no
/// savepoint (two statements more per message): a failed save rolls the whole transaction back and the message is retried.
/// </summary>
sealed class TaskSagaRepositoryContextFactory(
    IDbContextFactory<SupervisorDbContext> dbContextFactory,
    ISagaConsumeContextFactory<SupervisorDbContext, TaskState> consumeContextFactory,
    IOptions<LimitSettings> limitSettings) :
    ISagaRepositoryContextFactory<TaskState>,
    ILoadSagaRepositoryContextFactory<TaskState>,
    IQuerySagaRepositoryContextFactory<TaskState>
{
    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TaskState, T>> next)
        where T : class
    {
        await using var db = await dbContextFactory.CreateDbContextAsync(context.CancellationToken);
        db.Database.AutoSavepointsEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken);

        await next.Send(new TaskSagaRepositoryContext<T>(db, context, consumeContextFactory, limitSettings.Value.BudgetZone));

        await transaction.CommitAsync(context.CancellationToken);
    }

    public async Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TaskState> query, IPipe<SagaRepositoryQueryContext<TaskState, T>> next)
        where T : class
    {
        await using var db = await dbContextFactory.CreateDbContextAsync(context.CancellationToken);
        db.Database.AutoSavepointsEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken);

        var ids = await db.Tasks.Where(query.FilterExpression).Select(t => t.CorrelationId).ToListAsync(context.CancellationToken);
        var repositoryContext = new TaskSagaRepositoryContext<T>(db, context, consumeContextFactory, limitSettings.Value.BudgetZone);
        await next.Send(new DefaultSagaRepositoryQueryContext<TaskState, T>(repositoryContext, ids));

        await transaction.CommitAsync(context.CancellationToken);
    }

    public async Task<T> Execute<T>(Func<LoadSagaRepositoryContext<TaskState>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class
    {
        await using var db = await dbContextFactory.CreateDbContextAsync(cancellationToken);
        return await asyncMethod(new TaskSagaReadContext(db, cancellationToken));
    }

    public async Task<T> Execute<T>(Func<QuerySagaRepositoryContext<TaskState>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class
    {
        await using var db = await dbContextFactory.CreateDbContextAsync(cancellationToken);
        return await asyncMethod(new TaskSagaReadContext(db, cancellationToken));
    }

    public void Probe(ProbeContext context) => context.Add("persistence", "postgresql");
}
