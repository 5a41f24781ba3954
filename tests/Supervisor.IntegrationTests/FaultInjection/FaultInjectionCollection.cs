namespace Supervisor.IntegrationTests.FaultInjection;

/// <summary>
/// Fault injection runs alone, after every other collection: it loads the machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultInjectionCollection
{
    public const string Name = "fault injection";
}
