using MassTransit;
using Supervisor.Agents;
using Supervisor.Contracts;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// One delivery of a job and the attempt it became on this worker once the saga granted it the task's lease: the job, its
/// agent's profile, the attempt's id (the lease: every event of the attempt carries it) and number (the saga's), this
/// delivery's claim, the retry counters the job carries, and what it may spend of its task's budget.
/// </summary>
/// <param name="Context">The delivery of the job.</param>
/// <param name="Profile">The profile of the job's agent on this worker.</param>
/// <param name="Id">The attempt's id, as the saga granted it.</param>
/// <param name="Number">The attempt's number within its task, as the saga granted it.</param>
/// <param name="Worker">This worker's name, as the attempt records it.</param>
/// <param name="Claim">This delivery's claim: the same in every start check it makes, and in the release of an unused lease.</param>
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
    /// <summary>What the attempt may still spend of its task's budget, as the saga's start check granted it; null: no budget.</summary>
    public AttemptBudget? Budget { get; init; }

    public RunAgentJob Job => Context.Message;

    public Guid TaskId => Job.TaskId;

    public int Pass => Job.Pass;

    /// <summary>The agent's name.</summary>
    public string Agent => Job.Agent;

    /// <summary>A delivery that has not been granted a lease yet (no id, no number).</summary>
    public static AgentAttempt Of(ConsumeContext<RunAgentJob> context, AgentOptions profile, string worker) =>
        new(context, profile, Guid.Empty, 0, worker, NewId.NextGuid(), context.GetRedeliveryCount(), RetryPolicy.Counters.From(context));
}
