using MassTransit;
using MassTransit.Context;
using MassTransit.Middleware;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Supervisor.Service.Tasks;

namespace Supervisor.Service.Storage.Postgres.Sagas;

sealed class TaskSagaRepositoryContext<TMessage> : ConsumeContextScope<TMessage>, SagaRepositoryContext<TaskState, TMessage>
    where TMessage : class
{
    readonly SupervisorDbContext _db;
    readonly ISagaConsumeContextFactory<SupervisorDbContext, TaskState> _factory;

    public TaskSagaRepositoryContext(SupervisorDbContext db, ConsumeContext<TMessage> consumeContext,
        ISagaConsumeContextFactory<SupervisorDbContext, TaskState> factory, TimeZoneInfo budgetTimeZone)
        : base(consumeContext, db, new PostgresAccountBook(db, budgetTimeZone), new PostgresKeyBook(db))
    {
        _db = db;
        _factory = factory;
    }

    public Task<SagaConsumeContext<TaskState, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> context, TaskState instance, SagaConsumeContextMode mode)
        where T : class =>
        _factory.CreateSagaConsumeContext(_db, context, instance, mode);

    // The saga's context is made over this scope, not the message's context, so that its activities find the scope's
    // payloads: the account book on this transaction.
    public Task<SagaConsumeContext<TaskState, TMessage>> Add(TaskState instance) =>
        _factory.CreateSagaConsumeContext(_db, this, instance, SagaConsumeContextMode.Add);

    /// <summary>Pre-insert is not used (events do not set InsertOnInitial): a failed INSERT would abort the transaction.</summary>
    public Task<SagaConsumeContext<TaskState, TMessage>> Insert(TaskState instance) =>
        throw new NotSupportedException("Pre-inserting task sagas is not supported; a new task is added after its first event.");

    public async Task<SagaConsumeContext<TaskState, TMessage>> Load(Guid correlationId)
    {
        var instance = await TaskSagaLoader.LockAndLoadAsync(_db, correlationId, CancellationToken);
        if (instance is null)
            return null!;
        // A redelivered message whose changes had committed sends again what they imply: a filter on the saga's pipe (Tasks).
        return await _factory.CreateSagaConsumeContext(_db, this, instance, SagaConsumeContextMode.Load);
    }

    public async Task Save(SagaConsumeContext<TaskState> context)
    {
        _db.Tasks.Add(context.Saga);
        await _db.SaveChangesAsync(CancellationToken);
    }

    public Task Update(SagaConsumeContext<TaskState> context) => _db.SaveChangesAsync(CancellationToken);

    public async Task Delete(SagaConsumeContext<TaskState> context)
    {
        _db.Tasks.Remove(context.Saga);
        await _db.SaveChangesAsync(CancellationToken);
    }

    public Task Discard(SagaConsumeContext<TaskState> context) => Task.CompletedTask;

    public Task Undo(SagaConsumeContext<TaskState> context)
    {
        _db.ChangeTracker.Clear();
        return Task.CompletedTask;
    }
}

sealed class TaskSagaReadContext(SupervisorDbContext db, CancellationToken cancellationToken) :
    BasePipeContext(cancellationToken),
    LoadSagaRepositoryContext<TaskState>,
    QuerySagaRepositoryContext<TaskState>
{
    public async Task<TaskState> Load(Guid correlationId) =>
        (await db.Tasks.AsNoTracking().Include(t => t.Attempts).FirstOrDefaultAsync(t => t.CorrelationId == correlationId, CancellationToken))!;

    public async Task<SagaRepositoryQueryContext<TaskState>> Query(ISagaQuery<TaskState> query, CancellationToken cancellationToken = default)
    {
        var ids = await db.Tasks.Where(query.FilterExpression).Select(t => t.CorrelationId).ToListAsync(cancellationToken);
        return new DefaultSagaRepositoryQueryContext<TaskState>(this, ids);
    }
}

static class TaskSagaLoader
{
    /// <summary>Compiled once: every saga message runs it, and an uncompiled query is translated from its expression each time.</summary>
    static readonly Func<SupervisorDbContext, Guid, CancellationToken, Task<TaskState>> LoadTracked =
        EF.CompileAsyncQuery((SupervisorDbContext db, Guid id, CancellationToken _) => db.Tasks.Include(t => t.Attempts).First(t => t.CorrelationId == id));

    /// <summary>
    /// Takes the row lock first, then loads the task with its attempts (its audit trail is only ever appended). The load
    /// is a statement of its own, after the lock: under READ COMMITTED it then sees what an instance that held the lock
    /// before us committed.
    /// </summary>
    public static async Task<TaskState?> LockAndLoadAsync(SupervisorDbContext db, Guid id, CancellationToken cancellationToken)
    {
        // A plain command on the transaction's connection: the lock needs no query pipeline, only a round trip.
        await using (var command = db.Database.GetDbConnection().CreateCommand())
        {
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            command.CommandText = "SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE";
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            if (await command.ExecuteScalarAsync(cancellationToken) is null)
                return null;
        }

        return await LoadTracked(db, id, cancellationToken);
    }
}
