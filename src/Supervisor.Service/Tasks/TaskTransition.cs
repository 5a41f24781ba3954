namespace Supervisor.Service.Tasks;

/// <summary>One line of a task's audit trail, written in the same transaction as the state change.</summary>
public sealed class TaskTransition
{
    public long Id { get; set; }

    public Guid TaskId { get; set; }

    public string From { get; set; } = "";

    public string To { get; set; } = "";

    public string Event { get; set; } = "";

    public DateTime At { get; set; }

    /// <summary>The person or system whose command caused the transition (cancel, approve, …).</summary>
    public string? By { get; set; }

    public string? Reason { get; set; }
}
