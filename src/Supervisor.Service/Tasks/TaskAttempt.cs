namespace Supervisor.Service.Tasks;

/// <summary>One run of one agent on a task, keyed by the id its worker gave it.</summary>
public sealed class TaskAttempt
{
    public Guid Id { get; set; }

    public Guid TaskId { get; set; }

    public int Number { get; set; }

    public int Pass { get; set; }

    public string Agent { get; set; } = "";

    public string? Worker { get; set; }

    public string? Host { get; set; }

    public int Redelivery { get; set; }

    public string? Branch { get; set; }

    /// <summary>The model the agent was asked to use, as its worker reported it; null for a profile that names none.</summary>
    public string? Model { get; set; }

    /// <summary>The provider account the attempt ran on, as its worker named it in the start check; null for an agent without one.</summary>
    public string? Account { get; set; }

    public DateTime? StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }

    public int? ExitCode { get; set; }

    public string? ErrorClass { get; set; }

    public string? Message { get; set; }

    public DateTime? NextRetryAt { get; set; }

    /// <summary>Output chunks the worker published for this attempt (known once it has finished).</summary>
    public long? OutputChunks { get; set; }

    public long? InputTokens { get; set; }

    public long? OutputTokens { get; set; }

    public decimal? CostUsd { get; set; }
}
