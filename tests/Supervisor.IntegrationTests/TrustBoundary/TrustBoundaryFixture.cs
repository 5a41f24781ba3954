using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.TrustBoundary;

/// <summary>
/// One service that allows any repository and one shell worker that allows repositories only under the temporary
/// directory (<c>Supervisor:Worker:AllowedRepositoryRoots</c>): the worker's own check is the only one.
/// </summary>
public sealed class TrustBoundaryFixture : IAsyncLifetime
{
    internal SupervisorStack Stack { get; private set; } = null!;

    /// <summary>The worker's one allowed root, as configured.</summary>
    public string WorkerRoot { get; } = Path.GetTempPath();

    public async Task InitializeAsync() =>
        Stack = await SupervisorStack.StartAsync("trust", new Dictionary<string, string>
        {
            ["Supervisor__Worker__AllowedRepositoryRoots__0"] = WorkerRoot,
            ["Supervisor__Agents__shell__Retry__Intervals__0"] = "00:00:00.2",
            ["Supervisor__Agents__shell__Retry__Intervals__1"] = "00:00:00.2",
            ["Supervisor__Agents__shell__Retry__Jitter"] = "0",
        }, services: 1, ("shell", 1));

    public async Task DisposeAsync() => await Stack.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class TrustBoundaryCollection : ICollectionFixture<TrustBoundaryFixture>
{
    public const string Name = "trust boundary";
}
