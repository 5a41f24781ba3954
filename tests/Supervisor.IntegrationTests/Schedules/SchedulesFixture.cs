using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Schedules;

/// <summary>One service and two shell workers (so that two tasks of a schedule could run at once) beating every second.</summary>
public sealed class SchedulesFixture : IAsyncLifetime
{
    internal SupervisorStack Stack { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Stack = await SupervisorStack.StartAsync("schedules", new Dictionary<string, string>
        {
            ["Supervisor__Worker__HeartbeatInterval"] = "1s",
            ["Supervisor__Reconciler__Interval"] = "1s",
        }, services: 1, ("shell", 2));

    public async Task DisposeAsync() => await Stack.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class SchedulesCollection : ICollectionFixture<SchedulesFixture>
{
    public const string Name = "schedules";
}
