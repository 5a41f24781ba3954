namespace Supervisor.IntegrationTests.FaultInjection;

/// <summary>Fault injection under load runs alone: it loads the machine, and some scenarios restart shared services.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultInjectionCollection
{
    public const string Name = "fault injection";
}
