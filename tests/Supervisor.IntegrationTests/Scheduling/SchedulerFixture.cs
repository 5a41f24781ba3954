using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Scheduling;

/// <summary>Two service instances (one Quartz cluster) on their own database and virtual host, and no workers.</summary>
public sealed class SchedulerFixture : IAsyncLifetime
{
    internal SupervisorStack Stack { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Stack = await SupervisorStack.StartAsync("sched", SchedulingClient.ServiceConfig, services: 2);

    public async Task DisposeAsync() => await Stack.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class SchedulerCollection : ICollectionFixture<SchedulerFixture>
{
    public const string Name = "scheduler";
}
