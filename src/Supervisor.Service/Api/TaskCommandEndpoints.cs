using MassTransit;
using Supervisor.Contracts;

namespace Supervisor.Service.Api;

/// <summary>
/// The operator's verbs. Each is checked against the task's current state (409 when it does not apply), published
/// to the saga, and answered with the state the task is in once the saga has handled it (or still, after a moment).
/// </summary>
public static class TaskCommandEndpoints
{
    static readonly Dictionary<string, Verb> Verbs = new(StringComparer.Ordinal)
    {
        ["cancel"] = new("Cancel a task", [TaskStates.Submitted, TaskStates.AwaitingApproval, TaskStates.Dispatched, TaskStates.Running, TaskStates.RetryScheduled, TaskStates.Paused],
            (id, by, reason) => new CancelTask(id, by, reason)),
        ["pause"] = new("Pause a task: the running attempt finishes, no new attempt starts until it is resumed",
            [TaskStates.Dispatched, TaskStates.Running, TaskStates.RetryScheduled], (id, by, reason) => new PauseTask(id, by, reason)),
        ["resume"] = new("Resume a paused task", [TaskStates.Paused], (id, by, reason) => new ResumeTask(id, by, reason)),
        ["approve"] = new("Approve a task that awaits approval", [TaskStates.AwaitingApproval], (id, by, reason) => new ApproveTask(id, by, reason)),
        ["reject"] = new("Reject a task that awaits approval", [TaskStates.AwaitingApproval], (id, by, reason) => new RejectTask(id, by, reason)),
        ["retry"] = new("Run a task that ended unsuccessfully again", [TaskStates.Failed, TaskStates.Cancelled, TaskStates.Rejected],
            (id, by, reason) => new RetryTask(id, by, reason)),
    };

    public static IEndpointRouteBuilder MapTaskCommandEndpoints(this IEndpointRouteBuilder app)
    {
        // One operation per verb, so that the API's description says what each applies to.
        foreach (var (name, verb) in Verbs)
        {
            app.MapPost($"/api/tasks/{{id:guid}}/{name}", (Guid id, HttpRequest http, TaskQueries queries, IPublishEndpoint publish, CancellationToken cancellationToken) =>
                    HandleAsync(id, name, http, queries, publish, cancellationToken))
                .WithTags("Tasks")
                .WithName(char.ToUpperInvariant(name[0]) + name[1..] + "Task")
                .WithSummary(verb.Summary)
                .WithDescription($"Applies to a task that is {string.Join(", ", verb.From)} (409 otherwise). Answers with the state the task is in "
                    + "once the saga has handled the command, or the state it is still in after 3 seconds."
                    + (name == "cancel" ? " `stopped` is true once the worker holding the task's attempt has confirmed that its agent is stopped or never "
                        + "started (waited for up to 10 seconds); from then on no agent process of the task starts." : ""))
                .Accepts<TaskCommandRequest>(isOptional: true, "application/json")
                .Produces<TaskAccepted>(StatusCodes.Status202Accepted)
                .ProducesValidationProblem()
                .ProducesProblem(StatusCodes.Status404NotFound)
                .ProducesProblem(StatusCodes.Status409Conflict);
        }

        // Any other word: a 404 that lists the verbs there are.
        app.MapPost("/api/tasks/{id:guid}/{verb}", HandleAsync).ExcludeFromDescription();
        return app;
    }

    static async Task<IResult> HandleAsync(Guid id, string verb, HttpRequest http, TaskQueries queries, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        if (!Verbs.TryGetValue(verb, out var command))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown action.",
                detail: $"'{verb}' is not one of {string.Join(", ", Verbs.Keys)}.");
        }

        var (body, invalid) = await RequestBodies.ReadCommandAsync(http, cancellationToken);
        if (invalid is not null)
            return invalid;

        var state = await queries.GetStateAsync(id, cancellationToken);
        if (state is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Task not found.", detail: $"No task has the id {id}.");
        if (!command.From.Contains(state))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: $"Cannot {verb} this task.",
                detail: $"The task is {state}; {verb} applies to a task that is {string.Join(", ", command.From)}.");
        }

        // The caller is the token's name; a `by` in the body is ignored (older clients send one).
        var by = Caller.Name(http.HttpContext);
        await publish.Publish(command.Command(id, by, body?.Reason), cancellationToken);

        // The saga handles the command within milliseconds; answer with its result when it comes quickly.
        var deadline = DateTime.UtcNow.AddSeconds(3);
        var now = state;
        while (now == state && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, cancellationToken);
            now = await queries.GetStateAsync(id, cancellationToken) ?? state;
        }

        if (verb != "cancel")
            return TypedResults.Accepted($"/api/tasks/{id}", new TaskAccepted(id, now));
        return TypedResults.Accepted($"/api/tasks/{id}", new TaskAccepted(id, now, await StoppedAsync(id, queries, cancellationToken)));
    }

    /// <summary>
    /// A cancel is confirmed once no attempt holds the task's lease: its worker reported that the agent was stopped (or
    /// never started). Waits up to <see cref="CancelConfirmWait"/> for that.
    /// </summary>
    static async Task<bool> StoppedAsync(Guid id, TaskQueries queries, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + CancelConfirmWait;
        while (!await queries.CancelConfirmedAsync(id, cancellationToken))
        {
            if (DateTime.UtcNow >= deadline)
                return false;
            await Task.Delay(50, cancellationToken);
        }

        return true;
    }

    /// <summary>How long a cancel waits for the holder of the task's lease to confirm that its agent stopped.</summary>
    static readonly TimeSpan CancelConfirmWait = TimeSpan.FromSeconds(10);

    /// <summary>An operator's verb: what it does, the states it applies to, and the command it publishes.</summary>
    sealed record Verb(string Summary, string[] From, Func<Guid, string?, string?, object> Command);
}
