namespace Supervisor.Cli.Api;

/// <summary>One queue of <c>GET /api/dead-letters</c>.</summary>
sealed record DeadLetterQueue(string Queue, string Source, long Count, IReadOnlyList<DeadLetter> Messages);

/// <summary>A dead letter as the API describes it.</summary>
sealed record DeadLetter(string? MessageId, string? Type, Guid? TaskId, string? Reason, string? Exception, DateTimeOffset? FaultedAt, string? Consumer);

/// <summary>Body of <c>POST /api/dead-letters/redrive</c> and <c>/purge</c>.</summary>
sealed record DeadLetterRequest(string Queue, string? Id, bool? All);

/// <summary>The answer to a redrive (<see cref="Redriven"/>) or a purge (<see cref="Purged"/>).</summary>
sealed record DeadLetterOutcome(string Queue, string? Source, long? Redriven, long? Purged);
