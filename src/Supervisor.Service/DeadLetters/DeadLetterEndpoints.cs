using System.ComponentModel;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Supervisor.Service.Api;

namespace Supervisor.Service.DeadLetters;

/// <summary>
/// <c>/api/dead-letters</c>: what reached an error or skipped queue, and the operator's two answers to it — redrive
/// (back to the queue it came from) and purge.
/// </summary>
public static partial class DeadLetterEndpoints
{
    const int DefaultLimit = 10, MaxLimit = 1000;

    public static IEndpointRouteBuilder MapDeadLetterEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/dead-letters", ListAsync)
            .WithTags("Operations")
            .WithName("ListDeadLetters")
            .WithSummary("List the error and skipped queues that exist, with their counts and first messages")
            .Produces<List<DeadLetterQueueView>>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapPost("/api/dead-letters/redrive", (HttpRequest http, DeadLetterQueues queues, ILogger<DeadLetterQueues> logger, CancellationToken cancellationToken) =>
                ActAsync(http, queues, async (queue, id) =>
                {
                    var redriven = await queues.RedriveAsync(queue, id, cancellationToken);
                    LogRedriven(logger, redriven, queue, id ?? "all", Caller.Name(http.HttpContext));
                    return TypedResults.Ok(new DeadLettersRedriven(queue, DeadLetterQueues.SourceOf(queue), redriven));
                }, cancellationToken))
            .WithTags("Operations")
            .WithName("RedriveDeadLetters")
            .WithSummary("Move one dead letter (id) or all of a queue's (all) back to the queue they came from, body and headers unchanged")
            .Accepts<DeadLetterActionRequest>("application/json")
            .Produces<DeadLettersRedriven>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapPost("/api/dead-letters/purge", (HttpRequest http, DeadLetterQueues queues, ILogger<DeadLetterQueues> logger, CancellationToken cancellationToken) =>
                ActAsync(http, queues, async (queue, id) =>
                {
                    var purged = await queues.PurgeAsync(queue, id, cancellationToken);
                    LogPurged(logger, purged, queue, id ?? "all", Caller.Name(http.HttpContext));
                    return TypedResults.Ok(new DeadLettersPurged(queue, purged));
                }, cancellationToken))
            .WithTags("Operations")
            .WithName("PurgeDeadLetters")
            .WithSummary("Delete one dead letter (id) or all of a queue's (all)")
            .Accepts<DeadLetterActionRequest>("application/json")
            .Produces<DeadLettersPurged>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    static async Task<IResult> ListAsync(
        [Description("Only this queue (e.g. task-state_error).")] string? queue,
        [Description("At most this many messages per queue, 0 to 1000 (default 10).")] int? limit,
        DeadLetterQueues queues, CancellationToken cancellationToken)
    {
        if (queue is not null && !queues.IsCandidate(queue))
            return UnknownQueue(queues, queue);
        if (limit is < 0 or > MaxLimit)
            return Invalid("limit", $"must be between 0 and {MaxLimit}.");
        return await GuardedAsync(async () => TypedResults.Ok(await queues.ListAsync(queue, limit ?? DefaultLimit, cancellationToken)));
    }

    static async Task<IResult> ActAsync(HttpRequest http, DeadLetterQueues queues, Func<string, string?, Task<IResult>> act, CancellationToken cancellationToken)
    {
        DeadLetterActionRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<DeadLetterActionRequest>(http.Body, JsonSerializerOptions.Web, cancellationToken);
        }
        catch (JsonException e)
        {
            return Invalid(TaskEndpoints.JsonField(e), "is not valid JSON of the expected type.");
        }

        if (body?.Queue is not { Length: > 0 } queue)
            return Invalid("queue", $"is required: one of {string.Join(", ", queues.Candidates)}.");
        if (!queues.IsCandidate(queue))
            return UnknownQueue(queues, queue);
        if (body.Id is not null && body.All == true)
            return Invalid("all", "cannot be combined with id: name one message (id) or all of them (all: true).");
        if (body.Id is null && body.All != true)
            return Invalid("id", "is required unless all is true: name one message (its messageId) or all of them (all: true).");
        if (body.Id is { Length: 0 or > 200 })
            return Invalid("id", "must be a message id of 1 to 200 characters.");
        return await GuardedAsync(() => act(queue, body.Id));
    }

    static async Task<IResult> GuardedAsync(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (DeadLettersUnavailableException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Dead letters unavailable.", detail: e.Message);
        }
    }

    static ValidationProblem UnknownQueue(DeadLetterQueues queues, string queue) =>
        Invalid("queue", $"'{queue}' is not a dead-letter queue of Supervisor; one of {string.Join(", ", queues.Candidates)}.");

    // Dead letters belong to no task: the service's log is their audit trail, naming the caller's token as a task's trail does.
    [LoggerMessage(LogLevel.Information, "Redrove {Count} dead letter(s) of {Queue} (message {MessageId}) by {By}")]
    static partial void LogRedriven(ILogger logger, long count, string queue, string messageId, string by);

    [LoggerMessage(LogLevel.Information, "Purged {Count} dead letter(s) of {Queue} (message {MessageId}) by {By}")]
    static partial void LogPurged(ILogger logger, long count, string queue, string messageId, string by);

    static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] }, title: "The request is not valid.");
}
