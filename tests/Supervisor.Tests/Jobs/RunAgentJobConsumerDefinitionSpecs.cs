using System.Reflection;
using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Worker.Jobs;
using Supervisor.Worker.Settings;

namespace Supervisor.Tests.Jobs;

public sealed class RunAgentJobConsumerDefinitionSpecs
{
    [Fact]
    public void An_agents_queue_holds_and_runs_as_many_jobs_as_the_agent_runs_at_once_and_binds_no_exchange()
    {
        var supervisor = new SupervisorOptions { Agents = { ["claude"] = new AgentOptions { Concurrency = 3 }, ["shell"] = new AgentOptions() } };
        IConsumerDefinition<RunAgentJobConsumer> definition = new RunAgentJobConsumerDefinition(new AgentCatalog(Options.Create(supervisor)),
            Options.Create(new WorkerOptions { Agents = ["shell", "claude"] }));
        var endpoint = EndpointSettings.Create(new Uri("rabbitmq://localhost/supervisor/agent-claude"));

        definition.Configure(endpoint, null!, null!);

        var settings = (EndpointSettings)(object)endpoint;
        Assert.Equal(new Dictionary<string, object?>
        {
            ["ConfigureConsumeTopology"] = false,
            ["PrefetchCount"] = 3,
            ["ConcurrentMessageLimit"] = 3,
            ["ConfigureError"] = true,
        },
            settings.Set);
    }

    [Fact]
    public void A_queue_of_an_agent_this_worker_does_not_serve_is_refused()
    {
        var supervisor = new SupervisorOptions { Agents = { ["claude"] = new AgentOptions() } };
        IConsumerDefinition<RunAgentJobConsumer> definition = new RunAgentJobConsumerDefinition(new AgentCatalog(Options.Create(supervisor)),
            Options.Create(new WorkerOptions { Agents = ["shell"] }));

        Assert.Throws<InvalidOperationException>(() =>
            definition.Configure(EndpointSettings.Create(new Uri("rabbitmq://localhost/supervisor/agent-claude")), null!, null!));
    }

    /// <summary>A receive endpoint configurator that records the settings made on it.</summary>
    public class EndpointSettings : DispatchProxy
    {
        Uri _address = null!;

        public Dictionary<string, object?> Set { get; } = [];

        public static IReceiveEndpointConfigurator Create(Uri address)
        {
            var proxy = DispatchProxy.Create<IReceiveEndpointConfigurator, EndpointSettings>();
            ((EndpointSettings)(object)proxy)._address = address;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name == "get_InputAddress")
                return _address;
            if (targetMethod?.Name.StartsWith("set_", StringComparison.Ordinal) == true)
            {
                Set[targetMethod.Name["set_".Length..]] = args![0];
                return null;
            }

            // the error pipe: a job whose agent gave up (on the record) is not moved to the error queue
            if (targetMethod?.Name == "ConfigureError")
            {
                Set["ConfigureError"] = true;
                return null;
            }

            throw new NotSupportedException(targetMethod?.Name);
        }
    }
}
