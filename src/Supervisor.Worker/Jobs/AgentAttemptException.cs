namespace Supervisor.Worker.Jobs;

/// <summary>
/// Thrown when an attempt failed, after its failure has been published. The class travels in <see cref="Exception.Data"/>
/// so that the <c>Fault&lt;RunAgentJob&gt;</c> the saga receives carries it too.
/// </summary>
public sealed class AgentAttemptException : Exception
{
    public AgentAttemptException(string errorClass, string message)
        : base($"{errorClass}: {message}")
    {
        ErrorClass = errorClass;
        Data["errorClass"] = errorClass;
    }

    public string ErrorClass { get; }
}
