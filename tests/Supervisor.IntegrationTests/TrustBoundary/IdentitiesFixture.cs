using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.TrustBoundary;

/// <summary>
/// One service (high-risk tasks wait for approval; up to 600 log followers) and two shell workers (one for a long task, one for the rest), with the test tokens
/// (<see cref="TestTokens"/>): viewer, submitter and approver hold those roles, the people are admins.
/// </summary>
public sealed class IdentitiesFixture : IAsyncLifetime
{
    internal SupervisorStack Stack { get; private set; } = null!;

    public const int MaxLogFollowers = 600;

    public async Task InitializeAsync() =>
        Stack = await SupervisorStack.StartAsync("identities", new Dictionary<string, string>
        {
            ["Supervisor__Policy__ApprovalRequiredFor__0"] = "high",
            ["Supervisor__Api__MaxLogFollowers"] = MaxLogFollowers.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, services: 1, ("shell", 2));

    public async Task DisposeAsync() => await Stack.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class IdentitiesCollection : ICollectionFixture<IdentitiesFixture>
{
    public const string Name = "Identities";
}
