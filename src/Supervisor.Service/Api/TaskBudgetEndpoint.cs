using System.ComponentModel;
using MassTransit;
using Supervisor.Contracts;

namespace Supervisor.Service.Api;

/// <summary>Body of <c>POST /api/tasks/{id}/budget</c>: the new bounds (a field omitted stays as it is), and who sets them and why.</summary>
public sealed record TaskBudgetRequest(
    [property: Description("The most dollars the task's attempts may spend, summed (above 0, at most 100000). Omitted: unchanged.")]
    decimal? MaxCostUsd,
    [property: Description("The most tokens the task's attempts may use, summed (1 to 10000000000). Omitted: unchanged.")]
    long? MaxTokens,
    [property: Description("Ignored: the change is recorded as made by the token's name.")]
    string? By,
    string? Reason);

/// <summary>
/// Sets a task's budget. A task its budget paused (or stopped) goes on when the new budget is above what it spent, on the
/// agent it stopped on; otherwise the budget applies from the next attempt.
/// </summary>
public static class TaskBudgetEndpoint
{
    static readonly string[] From =
        [TaskStates.Submitted, TaskStates.AwaitingApproval, TaskStates.Dispatched, TaskStates.Running, TaskStates.RetryScheduled, TaskStates.Paused, TaskStates.Failed];

    public static IEndpointRouteBuilder MapTaskBudgetEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/tasks/{id:guid}/budget", HandleAsync)
            .WithTags("Tasks")
            .WithName("SetTaskBudget")
            .WithSummary("Set a task's budget (maxCostUsd, maxTokens)")
            .WithDescription($"Applies to a task that is {string.Join(", ", From)} (409 otherwise). A task its budget paused or stopped goes on "
                + "when the new budget is above what its attempts spent. Answers with the task's state and budget once the saga has taken the "
                + "change, or as they are after 3 seconds.")
            .Accepts<TaskBudgetRequest>("application/json")
            .Produces<TaskBudgetAccepted>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    static async Task<IResult> HandleAsync(Guid id, HttpRequest http, TaskQueries queries, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        var (body, invalid) = await RequestBodies.ReadOptionalAsync<TaskBudgetRequest>(http, cancellationToken);
        if (invalid is not null)
            return invalid;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Add(string field, string message) => errors[field] = [message];
        if (body is null || (body.MaxCostUsd is null && body.MaxTokens is null))
            Add("maxCostUsd", "give maxCostUsd, maxTokens or both.");
        else
            SubmitTaskValidator.ValidateBudget(body.MaxCostUsd, body.MaxTokens, Add);
        if (body?.Reason is { Length: > 2000 })
            Add("reason", "is too long (2000 characters at most).");
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);

        var before = await queries.GetAsync(id, cancellationToken);
        if (before is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Task not found.", detail: $"No task has the id {id}.");
        if (!From.Contains(before.State))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Cannot set this task's budget.",
                detail: $"The task is {before.State}; a budget applies to a task that is {string.Join(", ", From)}.");
        }

        var by = Caller.Name(http.HttpContext);
        await publish.Publish(new ChangeTaskBudget(id, body!.MaxCostUsd, body.MaxTokens, by, body.Reason), cancellationToken);

        // The saga takes the change within milliseconds; answer with what it made of it when that comes quickly.
        var deadline = DateTime.UtcNow.AddSeconds(3);
        var now = before;
        while (!Taken(now, body) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, cancellationToken);
            now = await queries.GetAsync(id, cancellationToken) ?? now;
        }

        return TypedResults.Accepted($"/api/tasks/{id}", new TaskBudgetAccepted(id, now.State, now.Budget));
    }

    /// <summary>
    /// Whether the task's budget is what the request sets: the saga writes the budget and what it lets the task do (go on,
    /// if its budget held it) in one transaction, so the state read with it is already the answer.
    /// </summary>
    static bool Taken(TaskView task, TaskBudgetRequest request) =>
        task.Budget is { } budget
        && (request.MaxCostUsd is null || budget.MaxCostUsd == request.MaxCostUsd)
        && (request.MaxTokens is null || budget.MaxTokens == request.MaxTokens);
}

/// <summary>The answer to a budget change: the task's state and its budget, with what it has spent.</summary>
public sealed record TaskBudgetAccepted(Guid Id, string State, TaskBudgetView? Budget);
