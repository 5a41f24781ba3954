namespace Supervisor.IntegrationTests.FaultInjection;

/// <summary>
/// Fault injection runs alone, after every other collection: it loads the machine, and one scenario
/// (Containers/EngineOutage) stops the Docker engine that the containers every test shares run on.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultInjectionCollection
{
    public const string Name = "fault injection";
}
