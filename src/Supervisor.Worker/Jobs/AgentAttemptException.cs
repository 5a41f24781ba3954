namespace Supervisor.Worker.Jobs;

/// <summary>
/// Thrown when an attempt failed, after its failure has been published. The class and the attempt's id travel in
/// <see cref="Exception.Data"/> so that the <c>Fault&lt;RunAgentJob&gt;</c> the saga receives carries them too: the saga
/// acts on the fault only if that attempt still holds the task's lease.
/// </summary>
public sealed class AgentAttemptException : Exception
{
    public AgentAttemptException(Guid attemptId, string errorClass, string message)
        : base($"{errorClass}: {message}")
    {
        ErrorClass = errorClass;
        Data["errorClass"] = errorClass;
        Data["attemptId"] = attemptId.ToString();
    }

    public string ErrorClass { get; }
}
