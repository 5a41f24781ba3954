using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Dashboard;

/// <summary>
/// One service that holds high-risk tasks for approval, two shell workers with a secret in their agent's environment, and a
/// headless Chromium (<see cref="Infrastructure.Browser"/>) that opens the service's dashboard as people do.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string Secret = "dash-SECRET-value-4242";

    internal SupervisorStack Stack { get; private set; } = null!;

    internal Browser Browser { get; private set; } = null!;

    /// <summary>The dashboard's address: the service's own.</summary>
    public Uri Url => Stack.ServiceUrls[0];

    public async Task InitializeAsync()
    {
        Stack = await SupervisorStack.StartAsync("dashboard", new Dictionary<string, string>
        {
            ["Supervisor__Policy__ApprovalRequiredFor__0"] = "high",
            ["Supervisor__Agents__shell__Env__DEMO_API_KEY"] = Secret,
            ["Supervisor__Worker__HeartbeatInterval"] = "1s",
        }, services: 1, ("shell", 2));
        Browser = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        await Stack.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "dashboard";
}
