namespace Supervisor.Cli.Api;

/// <summary>The API answered with a non-success status.</summary>
sealed class ApiException(int status, string reason, Problem? problem, string? body)
    : Exception(problem?.Title ?? $"HTTP {status} {reason}")
{
    public int Status { get; } = status;

    public string Reason { get; } = reason;

    /// <summary>The problem details, when the body was <c>application/problem+json</c> (or JSON that looks like it).</summary>
    public Problem? Problem { get; } = problem;

    /// <summary>The body when it was not a problem document (trimmed), for the message.</summary>
    public string? Body { get; } = body;
}

/// <summary>A task id the API does not know (404 on a <c>/api/tasks/{id}</c> resource).</summary>
sealed class TaskNotFoundException(string id) : Exception($"task {id} not found")
{
    public string Id { get; } = id;
}

/// <summary>A schedule the API does not know (404 on a <c>/api/schedules/{id}</c> resource), or no schedule an ID names.</summary>
sealed class ScheduleNotFoundException(string message) : Exception(message)
{
    public static ScheduleNotFoundException Id(Guid id) => new($"schedule {id} not found");
}

/// <summary>The API could not be reached at all (refused, DNS, TLS, timeout).</summary>
sealed class ServiceUnreachableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The API answered with a success status but a body the CLI cannot read.</summary>
sealed class UnexpectedResponseException(string message, Exception? inner = null) : Exception(message, inner);
