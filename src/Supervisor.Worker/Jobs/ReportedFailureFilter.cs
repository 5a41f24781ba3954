using MassTransit;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// On an agent's job queue, after the job's fault was published: a job that ended with <see cref="AgentAttemptException"/>
/// (its agent gave up, and its failure is on the task's record) is dropped instead of being moved to the queue's
/// <c>_error</c> queue, which then holds only what nobody has accounted for: a job that failed for a reason no attempt
/// reported (a bug), for an operator to look at and redrive.
/// </summary>
sealed class ReportedFailureFilter : IFilter<ExceptionReceiveContext>
{
    public Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next) =>
        Reported(context.Exception) ? Task.CompletedTask : next.Send(context);

    public void Probe(ProbeContext context) => context.CreateFilterScope("reportedFailure");

    static bool Reported(Exception exception) =>
        exception is AgentAttemptException || (exception is AggregateException aggregate && aggregate.InnerExceptions.All(Reported));
}
