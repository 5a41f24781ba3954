using System.ComponentModel;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Supervisor.Contracts;
using Supervisor.Rules.Redaction;
using Supervisor.Service.Schedules;
using Supervisor.Service.Storage;
using Supervisor.Settings;

namespace Supervisor.Service.Api;

/// <summary>
/// Recurring schedules: create, list, show, pause, resume, trigger and delete. A schedule's definition does not change
/// once created (a fire decided earlier must submit what was decided): to change one, delete it and create it again.
/// </summary>
public static class ScheduleEndpoints
{
    const int RecentFires = 20;

    public static IEndpointRouteBuilder MapScheduleEndpoints(this IEndpointRouteBuilder app)
    {
        var schedules = app.MapGroup("/api/schedules").WithTags("Schedules");
        schedules.MapPost("/", CreateAsync)
            .WithName("CreateSchedule")
            .WithSummary("Create a schedule")
            .WithDescription("Checks the whole definition, the task template included (its errors are named `template.…`), then stores it. "
                + "It fires from now on: nothing before its creation is made up for. Giving an `id` makes the create idempotent.")
            .Accepts<CreateScheduleRequest>("application/json")
            .Produces<ScheduleView>(StatusCodes.Status201Created)
            .Produces<ScheduleView>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);
        schedules.MapGet("/", ListAsync)
            .WithName("ListSchedules")
            .WithSummary("List schedules, newest first")
            .Produces<IReadOnlyList<ScheduleSummaryView>>()
            .ProducesValidationProblem();
        schedules.MapGet("/{id:guid}", GetAsync)
            .WithName("GetSchedule")
            .WithSummary("Get a schedule with its counters and latest fires")
            .Produces<ScheduleView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        schedules.MapGet("/{id:guid}/tasks", TasksAsync)
            .WithName("ListScheduleTasks")
            .WithSummary("List the tasks a schedule made, newest first")
            .Produces<IReadOnlyList<TaskSummaryView>>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        schedules.MapDelete("/{id:guid}", DeleteAsync)
            .WithName("DeleteSchedule")
            .WithSummary("Delete a schedule")
            .WithDescription("It fires no more; the tasks it made run on.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
        schedules.MapPost("/{id:guid}/pause", (Guid id, HttpRequest http, ScheduleFiring firing, IScheduleStore store, CancellationToken cancellationToken) =>
                SetPausedAsync(id, true, http, firing, store, cancellationToken))
            .WithName("PauseSchedule")
            .WithSummary("Pause a schedule: it fires nothing until resumed")
            .Accepts<TaskCommandRequest>(isOptional: true, "application/json")
            .Produces<ScheduleView>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        schedules.MapPost("/{id:guid}/resume", (Guid id, HttpRequest http, ScheduleFiring firing, IScheduleStore store, CancellationToken cancellationToken) =>
                SetPausedAsync(id, false, http, firing, store, cancellationToken))
            .WithName("ResumeSchedule")
            .WithSummary("Resume a schedule: it fires from now on (what fell due while paused is not made up for)")
            .Accepts<TaskCommandRequest>(isOptional: true, "application/json")
            .Produces<ScheduleView>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        schedules.MapPost("/{id:guid}/trigger", TriggerAsync)
            .WithName("TriggerSchedule")
            .WithSummary("Fire a schedule now")
            .WithDescription("One fire now, under the schedule's overlap policy or the one given; also while the schedule is paused.")
            .Accepts<TriggerScheduleRequest>(isOptional: true, "application/json")
            .Produces<TriggerAccepted>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    static async Task<IResult> CreateAsync(HttpRequest http, SubmitTaskValidator taskValidator, IScheduleStore store, ScheduleFiring firing,
        IOptions<ApiOptions> options, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (http.ContentLength > options.Value.MaxRequestBytes)
            return Invalid("body", $"is {http.ContentLength} bytes; the limit is {options.Value.MaxRequestBytes}.");
        CreateScheduleRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<CreateScheduleRequest>(http.Body, JsonSerializerOptions.Web, cancellationToken);
        }
        catch (JsonException e)
        {
            return Invalid(TaskEndpoints.JsonField(e), "is not valid JSON of the expected type.");
        }

        if (request is null)
            return Invalid("body", "a JSON object is required.");

        var now = clock.GetUtcNow().UtcDateTime;
        var (errors, spec, template) = await ValidateAsync(request, taskValidator, options.Value, now, cancellationToken);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors, title: "The schedule was not created.");

        var overlap = SchedulePolicies.ParseOverlap(request.Overlap ?? "skip");
        var catchUp = SchedulePolicies.ParseCatchUp(request.CatchUp ?? "each");
        var paused = request.Paused ?? false;
        var evaluatedUntil = ScheduleSpec.Microseconds(now);
        var record = new ScheduleRecord(
            request.Id ?? Guid.NewGuid(), request.Name, spec!.Cron, spec.Every, spec.TimeZoneId, template!.ToJson(), overlap.ToText(),
            CatchUpWindow(request), catchUp.ToText(), spec.StartAt, spec.EndAt, paused, paused ? Caller.Name(http.HttpContext) : null, null,
            evaluatedUntil, null, paused ? null : spec.NextAfter(evaluatedUntil), 0, 0, 0, Caller.Name(http.HttpContext),
            evaluatedUntil, evaluatedUntil);
        var created = await store.CreateAsync(record, cancellationToken);
        if (!created.Created)
        {
            if (created.SameId is { } same)
            {
                return SameDefinition(same, record)
                    ? TypedResults.Ok(await ViewAsync(same, store, cancellationToken))
                    : Conflict($"A schedule with the id {record.Id} exists with another definition.");
            }

            return Conflict($"The name '{record.Name}' is taken by another schedule.");
        }

        if (record.NextFireAt is { } next)
            await firing.ArmAsync(record.Id, next, cancellationToken);
        return TypedResults.Created($"/api/schedules/{record.Id}", await ViewAsync(record, store, cancellationToken));
    }

    static async Task<(Dictionary<string, string[]> Errors, ScheduleSpec? Spec, TaskTemplate? Template)> ValidateAsync(
        CreateScheduleRequest request, SubmitTaskValidator taskValidator, ApiOptions options, DateTime now, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Add(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field, []), message];

        if (request.Id == Guid.Empty)
            Add("id", "must not be the empty GUID.");
        if (request.Name is not null && !SubmitTaskValidator.IsLabelKey(request.Name))
            Add("name", "is 1-63 characters of letters, digits, '.', '_', '-' or '/', starting with a letter or digit.");

        TimeSpan? every = null;
        if (request.Every is not null)
        {
            if (Durations.TryParse(request.Every, out var interval, out var error))
                every = interval;
            else
                Add("every", error + ".");
        }

        DateTime? startAt = Time(request.StartAt, "startAt", Add);
        DateTime? endAt = Time(request.EndAt, "endAt", Add);
        if (endAt < now)
            Add("endAt", "is in the past: the schedule would never fire.");
        if (request.Overlap is not null && !SchedulePolicies.TryParseOverlap(request.Overlap, out _, out var overlapError))
            Add("overlap", overlapError);
        if (request.CatchUp is not null && !SchedulePolicies.TryParseCatchUp(request.CatchUp, out _, out var catchUpError))
            Add("catchUp", catchUpError);
        if (request.CatchUpWindow is not null)
        {
            if (!Durations.TryParse(request.CatchUpWindow, out var window, out var error))
                Add("catchUpWindow", error + ".");
            else if (window < TimeSpan.Zero || window > TimeSpan.FromDays(365))
                Add("catchUpWindow", $"must be between 0s and 365d (it is {window}).");
        }

        ScheduleSpec? spec = null;
        if (!errors.ContainsKey("every") && !errors.ContainsKey("startAt") && !errors.ContainsKey("endAt")
            && !ScheduleSpec.TryCreate(request.Cron, every, request.TimeZone, startAt, endAt, out spec, out var specErrors))
        {
            foreach (var e in specErrors)
                Add(e.Field, e.Message);
        }

        TaskTemplate? template = null;
        if (request.Template is not { } task)
        {
            Add("template", "is required: what each fire submits (the body of POST /api/tasks without id and runAt).");
        }
        else
        {
            if (task.Id is not null)
                Add("template.id", "is not allowed: each fire's task gets an id of its own.");
            if (task.RunAt is not null)
                Add("template.runAt", "is not allowed: a fire's task runs at the fire's time.");
            foreach (var reserved in new[] { TaskTemplate.ScheduleLabel, TaskTemplate.ScheduledForLabel }.Where(k => task.Labels?.ContainsKey(k) == true))
                Add($"template.labels.{reserved}", "is set by the schedule on each task it makes.");
            if (task.Labels is { } labels && labels.Count > options.MaxLabels - 2)
                Add("template.labels", $"has {labels.Count} entries; a schedule's tasks take at most {options.MaxLabels - 2} (two are the schedule's).");
            foreach (var (field, messages) in await taskValidator.ValidateAsync(task, cancellationToken))
            {
                foreach (var message in messages)
                    Add($"template.{field}", message);
            }

            template = new TaskTemplate(SecretRedactor.RedactCredentials(task.Prompt ?? ""), SubmitTaskValidator.Chain(task),
                task.Repository is { } r ? new RepositorySpec(r.Path, r.Url, r.BaseRef, r.PushTo, r.OpenPullRequest == true, r.PullRequestTitle, r.PullRequestBody) : null, task.Risk, task.TimeoutSeconds, task.Verify,
                task.ExpectChanges ?? false, task.Labels, task.Fallback, task.Model, task.OnLimit, SubmitTaskValidator.MaxWait(task), task.MaxWindows,
                task.ConcurrencyKey, task.ConcurrencyLimit, task.ConcurrencyStrategy, task.MaxCostUsd, task.MaxTokens, task.OnBudget);
        }

        return (errors, spec, template);
    }

    static DateTime? Time(string? text, string field, Action<string, string> add)
    {
        if (text is null)
            return null;
        if (SubmitTaskValidator.TryParseRunAt(text, out var at))
            return at.UtcDateTime;
        add(field, SubmitTaskValidator.NotAnIsoTime(text));
        return null;
    }

    static TimeSpan CatchUpWindow(CreateScheduleRequest request) =>
        request.CatchUpWindow is { } text && Durations.TryParse(text, out var window, out _) ? window : TimeSpan.FromMinutes(1);

    /// <summary>The same definition as stored: a create retried with the same id answers what exists.</summary>
    static bool SameDefinition(ScheduleRecord stored, ScheduleRecord asked) =>
        stored.Name == asked.Name && stored.Cron == asked.Cron && stored.Every == asked.Every && stored.TimeZone == asked.TimeZone
        && stored.Overlap == asked.Overlap && stored.CatchUpWindow == asked.CatchUpWindow && stored.CatchUp == asked.CatchUp
        && stored.StartAt == asked.StartAt && stored.EndAt == asked.EndAt
        && JsonSerializer.Serialize(TaskTemplate.FromJson(stored.Template), JsonSerializerOptions.Web)
            == JsonSerializer.Serialize(TaskTemplate.FromJson(asked.Template), JsonSerializerOptions.Web);

    static async Task<IResult> ListAsync([Description("At most this many schedules, 1 to 1000 (default 100).")] int? limit, IScheduleStore store,
        CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 1000)
            return Invalid("limit", "must be between 1 and 1000.");
        var schedules = await store.ListAsync(limit ?? 100, cancellationToken);
        return TypedResults.Ok(schedules.Select(s => new ScheduleSummaryView(s.Schedule.Id, s.Schedule.Name, s.Schedule.Cron, s.Schedule.Every,
            s.Schedule.TimeZone, s.Schedule.Overlap, s.Schedule.Paused, s.Schedule.LastFireAt, s.Schedule.NextFireAt, s.OpenTasks)).ToList());
    }

    static async Task<IResult> GetAsync(Guid id, IScheduleStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } schedule ? TypedResults.Ok(await ViewAsync(schedule, store, cancellationToken)) : NotFound(id);

    static async Task<IResult> TasksAsync(Guid id, [Description("At most this many tasks, 1 to 1000 (default 100).")] int? limit, IScheduleStore store,
        CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 1000)
            return Invalid("limit", "must be between 1 and 1000.");
        if (await store.GetAsync(id, cancellationToken) is null)
            return NotFound(id);
        var tasks = await store.TasksAsync(id, limit ?? 100, cancellationToken);
        return TypedResults.Ok(tasks.Select(TaskSummaryView.Of).ToList());
    }

    static async Task<IResult> DeleteAsync(Guid id, IScheduleStore store, CancellationToken cancellationToken) =>
        await store.DeleteAsync(id, cancellationToken) ? TypedResults.NoContent() : NotFound(id);

    static async Task<IResult> SetPausedAsync(Guid id, bool paused, HttpRequest http, ScheduleFiring firing, IScheduleStore store,
        CancellationToken cancellationToken)
    {
        var (body, invalid) = await RequestBodies.ReadCommandAsync(http, cancellationToken);
        if (invalid is not null)
            return invalid;
        var schedule = await firing.SetPausedAsync(id, paused, Caller.Name(http.HttpContext), body?.Reason, cancellationToken);
        return schedule is null ? NotFound(id) : TypedResults.Ok(await ViewAsync(schedule, store, cancellationToken));
    }

    static async Task<IResult> TriggerAsync(Guid id, HttpRequest http, ScheduleFiring firing, CancellationToken cancellationToken)
    {
        var (body, invalid) = await RequestBodies.ReadOptionalAsync<TriggerScheduleRequest>(http, cancellationToken);
        if (invalid is not null)
            return invalid;
        OverlapPolicy? overlap = null;
        if (body?.Overlap is { } text)
        {
            if (!SchedulePolicies.TryParseOverlap(text, out var policy, out var error))
                return Invalid("overlap", error);
            overlap = policy;
        }

        if (body?.Id == Guid.Empty)
            return Invalid("id", "must not be the empty GUID.");
        var outcome = await firing.EvaluateAsync(id, new ManualTrigger(body?.Id ?? Guid.NewGuid(), overlap), cancellationToken);
        return outcome is null
            ? NotFound(id)
            : TypedResults.Accepted($"/api/tasks/{outcome.TaskId}", new TriggerAccepted(id, outcome.Outcome, outcome.TaskId, outcome.Reason));
    }

    static async Task<ScheduleView> ViewAsync(ScheduleRecord s, IScheduleStore store, CancellationToken cancellationToken)
    {
        var fires = await store.RecentFiresAsync(s.Id, RecentFires, cancellationToken);
        return new ScheduleView(s.Id, s.Name, s.Cron, s.Every, s.TimeZone, TaskTemplate.FromJson(s.Template), s.Overlap, s.CatchUpWindow, s.CatchUp,
            s.StartAt, s.EndAt, s.Paused, s.PausedBy, s.PauseReason, s.CreatedBy, s.CreatedAt, s.LastFireAt, s.NextFireAt,
            new ScheduleCountsView(s.MissedCatchUp, s.Coalesced, s.OverlapSkipped),
            [.. fires.Select(f => new FireView(f.Fire.OccurrenceAt, f.Fire.Kind, f.Fire.Outcome, f.Fire.TaskId, f.TaskState, f.Fire.Reason, f.DecidedAt))]);
    }

    static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Schedule not found.", detail: $"No schedule has the id {id}.");

    static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The schedule was not created.", detail: detail);

    static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] }, title: "The request is not valid.");

}
