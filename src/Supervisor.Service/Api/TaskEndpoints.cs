using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Supervisor.Contracts;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Api;

public static class TaskEndpoints
{
    public static IEndpointRouteBuilder MapTaskEndpoints(this IEndpointRouteBuilder app)
    {
        var tasks = app.MapGroup("/api/tasks");
        tasks.MapPost("/", SubmitAsync);
        tasks.MapGet("/", ListAsync);
        tasks.MapGet("/{id:guid}", GetAsync);
        tasks.MapGet("/{id:guid}/logs", LogsAsync);
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

        // Random, not sequential: the first 8 characters name the task's branches (supervisor/<id8>/<attempt>) and must differ.
        var id = request.Id ?? Guid.NewGuid();
        if (request.Id is not null && await queries.GetStateAsync(id, cancellationToken) is { } existing)
            return TypedResults.Accepted($"/api/tasks/{id}", new TaskAccepted(id, existing));

        await publish.Publish(new SubmitTask(
            id,
            request.Prompt!,
            SubmitTaskValidator.Chain(request),
            request.Repository is { } r ? new RepositorySpec(r.Path, r.Url, r.BaseRef) : null,
            request.Risk,
            request.TimeoutSeconds,
            request.Verify,
            request.ExpectChanges ?? false,
            request.Labels,
            http.HttpContext.User.Identity?.Name), cancellationToken);

        return TypedResults.Accepted($"/api/tasks/{id}", new TaskAccepted(id, TaskStates.Submitted));
    }

    static async Task<IResult> ListAsync(string? state, int? limit, string? idPrefix, TaskQueries queries, CancellationToken cancellationToken)
    {
        if (state is not null && !TaskStates.All.Contains(state, StringComparer.Ordinal))
            return Invalid("state", $"'{state}' is not one of {string.Join(", ", TaskStates.All)}.");
        if (limit is < 1 or > 1000)
            return Invalid("limit", "must be between 1 and 1000.");
        TaskIdRange? ids = null;
        if (idPrefix is not null && (ids = TaskIdRange.Of(idPrefix)) is null)
            return Invalid("idPrefix", "must be 1 to 32 hexadecimal digits (dashes allowed), the start of a task id.");
        return TypedResults.Ok(await queries.ListAsync(state, limit ?? 100, ids, cancellationToken));
    }

    static async Task<Results<Ok<TaskView>, ProblemHttpResult>> GetAsync(Guid id, TaskQueries queries, CancellationToken cancellationToken) =>
        await queries.GetAsync(id, cancellationToken) is { } task ? TypedResults.Ok(task) : NotFound(id);

    static async Task<IResult> LogsAsync(Guid id, bool? follow, TaskQueries queries, Logs.LogFollower follower, HttpResponse response,
        CancellationToken cancellationToken)
    {
        // A follower may arrive right after its submit was accepted, before the saga has recorded the task.
        var waitUntil = DateTime.UtcNow.AddSeconds(follow == true ? 10 : 0);
        while (await queries.GetStateAsync(id, cancellationToken) is null)
        {
            if (DateTime.UtcNow >= waitUntil)
                return NotFound(id);
            await Task.Delay(100, cancellationToken);
        }

        if (follow != true)
            return TypedResults.Ok(await queries.LogsAsync(id, cancellationToken));

        await follower.StreamAsync(id, response, cancellationToken);
        return TypedResults.Empty;
    }

    /// <summary>The request field a JSON error points at, as the API names fields (<c>body</c> for the whole document).</summary>
    internal static string JsonField(JsonException e) => string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');

    static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Task not found.", detail: $"No task has the id {id}.");

    static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] }, title: "The request is not valid.");
}
