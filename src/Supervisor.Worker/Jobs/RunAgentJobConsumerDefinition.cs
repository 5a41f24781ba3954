using MassTransit;
using MassTransit.Transports;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Worker.Settings;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// The policy of an agent's job queue (<c>agent-NAME</c>, one receive endpoint per served agent, see
/// <see cref="AgentJobEndpoints"/>): the worker holds and runs no more of the agent's jobs than the agent's concurrency.
/// Retries are not endpoint policy here: a failed attempt schedules its own redelivery, with a delay and headers of its
/// failure class (<see cref="RetryPolicy"/>).
/// </summary>
public sealed class RunAgentJobConsumerDefinition(AgentCatalog catalog, IOptions<WorkerOptions> options) : ConsumerDefinition<RunAgentJobConsumer>
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<RunAgentJobConsumer> consumerConfigurator, IRegistrationContext context)
    {
        var agent = catalog.Get(AgentOf(endpointConfigurator.InputAddress.GetEndpointName()));
        // Jobs are sent to this queue; binding it to the RunAgentJob exchange would deliver every agent's jobs here.
        endpointConfigurator.ConfigureConsumeTopology = false;
        // A worker holds no more jobs than it runs, so idle workers of the same agent get the rest.
        endpointConfigurator.PrefetchCount = agent.Concurrency;
        endpointConfigurator.ConcurrentMessageLimit = agent.Concurrency;
        // The job's fault is published either way (the saga falls back on it, or already did on the failure it reported);
        // only a job whose failure no attempt reported goes to agent-NAME_error.
        if (endpointConfigurator is IReceivePipelineConfigurator pipeline)
        {
            pipeline.ConfigureError(e =>
            {
                e.UseFilter(new MassTransit.Middleware.GenerateFaultFilter());
                e.UseFilter(new ReportedFailureFilter());
                e.UseFilter(new MassTransit.Middleware.ErrorTransportFilter());
            });
        }
    }

    /// <summary>The served agent whose queue this is.</summary>
    string AgentOf(string? queue) =>
        options.Value.Agents.FirstOrDefault(name => AgentQueues.Name(name) == queue)
        ?? throw new InvalidOperationException($"{queue} is not the queue of an agent this worker serves.");
}
