using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.CoreLoop;

/// <summary>Two service instances sharing one database and broker, and two workers of the built-in shell agent.</summary>
public sealed class CoreLoopFixture : IAsyncLifetime
{
    internal SupervisorStack Stack { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Stack = await SupervisorStack.StartAsync("core", new Dictionary<string, string>
        {
            ["Supervisor__Worker__MaxOutputBytes"] = "65536",
            ["Supervisor__Agents__shell__Retry__Intervals__0"] = "00:00:00.2",
            ["Supervisor__Agents__shell__Retry__Intervals__1"] = "00:00:00.2",
        }, services: 2, ("shell", 2));

    public async Task DisposeAsync() => await Stack.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class CoreLoopCollection : ICollectionFixture<CoreLoopFixture>
{
    public const string Name = "core loop";
}
