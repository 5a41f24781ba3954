using System.ComponentModel;
using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Supervisor.Contracts;
using Supervisor.Rules.Redaction;
using Supervisor.Service.Logs;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Api;

public static class TaskEndpoints
{
    public static IEndpointRouteBuilder MapTaskEndpoints(this IEndpointRouteBuilder app)
    {
        var tasks = app.MapGroup("/api/tasks").WithTags("Tasks");
        tasks.MapPost("/", SubmitAsync)
            .WithName("SubmitTask")
            .WithSummary("Submit a task")
            .WithDescription("Checks the whole submission (every error names its field), then publishes it to the saga. Giving an `id` makes "
                + "the submission idempotent: a task that exists already is answered with its current state. With `runAt` the task waits in "
                + "`Submitted` until then.")
            .Accepts<SubmitTaskRequest>("application/json")
            .Produces<TaskAccepted>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem();
        tasks.MapGet("/", ListAsync)
            .WithName("ListTasks")
            .WithSummary("List tasks, newest first")
            .WithDescription("Filtered by state, agent, label, prompt text, id prefix and waiting; a page of `limit` tasks, the next page with "
                + "`before` = the last id of this one.")
            .Produces<IReadOnlyList<TaskSummaryView>>()
            .ProducesValidationProblem();
        tasks.MapGet("/counts", CountAsync)
            .WithName("CountTasks")
            .WithSummary("Count tasks in each state")
            .WithDescription("Every state with how many tasks are in it, among those that pass the same filters as the list (`agent`, `label`, `text`, "
                + "`idPrefix`, `waiting`).")
            .Produces<IReadOnlyDictionary<string, long>>()
            .ProducesValidationProblem();
        tasks.MapGet("/{id:guid}", GetAsync)
            .WithName("GetTask")
            .WithSummary("Get a task with its attempts, transitions and result")
            .ProducesProblem(StatusCodes.Status404NotFound);
        tasks.MapGet("/{id:guid}/logs", LogsAsync)
            .WithName("GetTaskLogs")
            .WithSummary("Get a task's output, or follow it")
            .WithDescription("Without `follow`: the stored chunks, in attempt then sequence order. With `follow=true` (and `Accept: "
                + "text/event-stream`): server-sent events, a `chunk` event per chunk (its data a chunk as in the list) as it is stored, and "
                + "one `end` event (`{\"state\": …}`) once the task has ended and all its output has been sent.")
            .Produces<IReadOnlyList<LogChunkView>>(StatusCodes.Status200OK, "application/json", "text/event-stream")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    static async Task<IResult> SubmitAsync(HttpRequest http, SubmitTaskValidator validator, TaskQueries queries, IPublishEndpoint publish,
        IOptions<ApiOptions> options, CancellationToken cancellationToken)
    {
        if (http.ContentLength > options.Value.MaxRequestBytes)
            return Invalid("body", $"is {http.ContentLength} bytes; the limit is {options.Value.MaxRequestBytes}.");

        SubmitTaskRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<SubmitTaskRequest>(http.Body, JsonSerializerOptions.Web, cancellationToken);
        }
        catch (JsonException e)
        {
            return Invalid(JsonField(e), "is not valid JSON of the expected type.");
        }

        if (request is null)
            return Invalid("body", "a JSON object is required.");

        var errors = await validator.ValidateAsync(request, cancellationToken);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors, title: "The task was not accepted.");

        var id = request.Id ?? Guid.NewGuid();
        if (request.Id is not null && await queries.GetStateAsync(id, cancellationToken) is { } existing)
            return TypedResults.Accepted($"/api/tasks/{id}", new TaskAccepted(id, existing));

        await publish.Publish(new SubmitTask(
            id,
            SecretRedactor.RedactCredentials(request.Prompt!),
            SubmitTaskValidator.Chain(request),
            request.Repository is { } r ? new RepositorySpec(r.Path, r.Url, r.BaseRef, r.PushTo, r.OpenPullRequest == true, r.PullRequestTitle, r.PullRequestBody) : null,
            request.Risk,
            request.TimeoutSeconds,
            request.Verify,
            request.ExpectChanges ?? false,
            request.Labels,
            Caller.Name(http.HttpContext),
            request.RunAt is { } at && SubmitTaskValidator.TryParseRunAt(at, out var runAt) ? runAt.UtcDateTime : null,
            request.Fallback,
            request.Model,
            request.OnLimit,
            SubmitTaskValidator.MaxWait(request),
            request.MaxWindows,
            request.ConcurrencyKey,
            request.ConcurrencyLimit,
            request.ConcurrencyStrategy,
            request.MaxCostUsd,
            request.MaxTokens,
            request.OnBudget), cancellationToken);

        return TypedResults.Accepted($"/api/tasks/{id}", new TaskAccepted(id, TaskStates.Submitted));
    }

    static async Task<IResult> ListAsync(
        [Description("Only tasks in this state (Submitted, AwaitingApproval, Dispatched, Running, RetryScheduled, Paused, Succeeded, Failed, Cancelled, Rejected).")] string? state,
        [Description("At most this many tasks, 1 to 1000 (default 100).")] int? limit,
        [Description("Only tasks whose id starts with these hexadecimal digits (dashes allowed).")] string? idPrefix,
        [Description("true: only tasks that wait (those with 'waiting'): parked on a blocked provider account or queued on their full concurrency key; false or omitted: all.")] bool? waiting,
        [Description("Only tasks with this agent anywhere in their chain.")] string? agent,
        [Description("Only tasks with this label: 'key' (any value) or 'key=value'.")] string? label,
        [Description("Only tasks whose prompt contains this text, in any case (1 to 200 characters).")] string? text,
        [Description("The next page: only tasks older than this one (the id of the last task of the page before).")] string? before,
        TaskQueries queries, CancellationToken cancellationToken)
    {
        if (state is not null && !TaskStates.All.Contains(state, StringComparer.Ordinal))
            return Invalid("state", $"'{state}' is not one of {string.Join(", ", TaskStates.All)}.");
        if (limit is < 1 or > 1000)
            return Invalid("limit", "must be between 1 and 1000.");
        var (filter, problem) = Filter(state, idPrefix, waiting, agent, label, text, before);
        return problem ?? TypedResults.Ok(await queries.ListAsync(filter, limit ?? 100, cancellationToken));
    }

    static async Task<IResult> CountAsync(
        [Description("Only tasks whose id starts with these hexadecimal digits (dashes allowed).")] string? idPrefix,
        [Description("true: only tasks that wait.")] bool? waiting,
        [Description("Only tasks with this agent anywhere in their chain.")] string? agent,
        [Description("Only tasks with this label: 'key' (any value) or 'key=value'.")] string? label,
        [Description("Only tasks whose prompt contains this text, in any case.")] string? text,
        TaskQueries queries, CancellationToken cancellationToken)
    {
        var (filter, problem) = Filter(null, idPrefix, waiting, agent, label, text, null);
        return problem ?? TypedResults.Ok(await queries.CountByStateAsync(filter, cancellationToken));
    }

    /// <summary>The list's filter from its query parameters, or the problem naming the first one that is not valid.</summary>
    static (TaskFilter Filter, IResult? Problem) Filter(string? state, string? idPrefix, bool? waiting, string? agent, string? label, string? text, string? before)
    {
        Guid? after = null;
        if (before is not null)
        {
            if (!Guid.TryParse(before, out var last))
                return (new TaskFilter(), Invalid("before", "must be a task id (a GUID): the last task of the page before."));
            after = last;
        }

        TaskIdRange? ids = null;
        if (idPrefix is not null && (ids = TaskIdRange.Of(idPrefix)) is null)
            return (new TaskFilter(), Invalid("idPrefix", "must be 1 to 32 hexadecimal digits (dashes allowed), the start of a task id."));
        if (agent is { Length: 0 or > 100 })
            return (new TaskFilter(), Invalid("agent", "must be an agent's name, 1 to 100 characters."));
        if (label is not null && (label.Length is 0 or > 200 || label.StartsWith('=')))
            return (new TaskFilter(), Invalid("label", "must be 'key' or 'key=value', 1 to 200 characters, with a key."));
        if (text is { Length: 0 or > 200 })
            return (new TaskFilter(), Invalid("text", "must be 1 to 200 characters."));
        return (new TaskFilter(state, waiting == true, ids, agent, label, text, after), null);
    }

    static async Task<Results<Ok<TaskView>, ProblemHttpResult>> GetAsync(Guid id, TaskQueries queries, CancellationToken cancellationToken) =>
        await queries.GetAsync(id, cancellationToken) is { } task ? TypedResults.Ok(task) : NotFound(id);

    static async Task<IResult> LogsAsync(Guid id, [Description("Stream the output as server-sent events until the task ends.")] bool? follow,
        TaskQueries queries, LogFollower follower, IOptions<ApiOptions> options, HttpResponse response, CancellationToken cancellationToken)
    {
        // Each follower costs reads on every append: past the cap, come back later rather than slow every other one down.
        if (follow == true && follower.Following >= options.Value.MaxLogFollowers)
        {
            response.Headers.RetryAfter = "5";
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Too many log followers.",
                detail: $"This instance already streams {follower.Following} task outputs ({ApiOptions.Section}:MaxLogFollowers = "
                    + $"{options.Value.MaxLogFollowers}); try again in a few seconds, or read the stored output without follow.");
        }

        // A follower may arrive right after its submit was accepted, before the saga has recorded the task. Followers ask
        // through their own pool, as they read.
        var waitUntil = DateTime.UtcNow.AddSeconds(follow == true ? 10 : 0);
        while (follow == true ? !await follower.ExistsAsync(id, cancellationToken) : await queries.GetStateAsync(id, cancellationToken) is null)
        {
            if (DateTime.UtcNow >= waitUntil)
                return NotFound(id);
            await Task.Delay(100, cancellationToken);
        }

        if (follow != true)
            return TypedResults.Ok(await queries.LogsAsync(id, cancellationToken));

        return TypedResults.ServerSentEvents(follower.StreamAsync(id, response, cancellationToken));
    }

    /// <summary>The request field a JSON error points at, as the API names fields (<c>body</c> for the whole document).</summary>
    internal static string JsonField(JsonException e) => string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');

    static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Task not found.", detail: $"No task has the id {id}.");

    static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] }, title: "The request is not valid.");
}
