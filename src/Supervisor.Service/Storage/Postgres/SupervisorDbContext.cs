using Microsoft.EntityFrameworkCore;
using Supervisor.Service.Tasks;

namespace Supervisor.Service.Storage.Postgres;

public sealed class SupervisorDbContext(DbContextOptions<SupervisorDbContext> options) : DbContext(options)
{
    public DbSet<TaskState> Tasks => Set<TaskState>();

    public DbSet<TaskAttempt> Attempts => Set<TaskAttempt>();

    public DbSet<TaskTransition> Transitions => Set<TaskTransition>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) => TaskStateMap.Apply(modelBuilder);
}
