using MassTransit;
using Supervisor.Agents;
using Supervisor.Contracts;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// One delivery of a job and the attempt it becomes on this worker: the job, its agent's profile, the attempt's id and
/// number, this delivery's claim on it, and the retry counters the job carries.
/// </summary>
/// <param name="Context">The delivery of the job.</param>
/// <param name="Profile">The profile of the job's agent on this worker.</param>
/// <param name="Id">The attempt's id.</param>
/// <param name="Number">The attempt's number within its task.</param>
/// <param name="Worker">This worker's name, as the attempt records it.</param>
/// <param name="Claim">This delivery's claim on the attempt, given up if the delivery ends (its connection dropped) before the agent runs.</param>
/// <param name="Redelivery">How many times the broker redelivered this job.</param>
/// <param name="Counters">The retry counters the job carries.</param>
public sealed record AgentAttempt(
    ConsumeContext<RunAgentJob> Context,
    AgentOptions Profile,
    Guid Id,
    int Number,
    string Worker,
    Guid Claim,
    int Redelivery,
    RetryPolicy.Counters Counters)
{
    public RunAgentJob Job => Context.Message;

    public Guid TaskId => Job.TaskId;

    public int Pass => Job.Pass;

    /// <summary>The agent's name.</summary>
    public string Agent => Job.Agent;

    public static AgentAttempt Of(ConsumeContext<RunAgentJob> context, AgentOptions profile, string worker)
    {
        var redelivery = context.GetRedeliveryCount();
        var counters = RetryPolicy.Counters.From(context);
        // A job handed back by a stopping worker keeps its redelivery count; its hand-backs keep attempt numbers apart.
        var number = context.Message.FirstAttempt + redelivery + counters.HandBacks;
        var id = NewId.NextGuid();
        return new AgentAttempt(context, profile, id, number, worker, NewId.NextGuid(), redelivery, counters);
    }
}
