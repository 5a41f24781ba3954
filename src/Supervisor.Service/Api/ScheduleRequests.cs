using System.ComponentModel;

namespace Supervisor.Service.Api;

/// <summary>Body of <c>POST /api/schedules</c>.</summary>
public sealed record CreateScheduleRequest(
    [property: Description("Makes the create idempotent: the same id with the same definition answers the schedule stored.")]
    Guid? Id,
    [property: Description("A unique name (1-63 letters, digits, '.', '_', '-', '/'), for people and the CLI.")]
    string? Name,
    [property: Description("A cron expression: 5 fields, or 6 with seconds first. Give either cron or every.")]
    string? Cron,
    [property: Description("An interval (30s, 5m, 1h30m, 2d, or hh:mm:ss), 1s to 366d, its fires aligned on startAt or else the Unix epoch.")]
    string? Every,
    [property: Description("An IANA time zone for cron (default UTC), e.g. Europe/Berlin.")]
    string? TimeZone,
    [property: Description("What each fire submits: the body of POST /api/tasks without id and runAt. Labels schedule and scheduledFor are set by the schedule.")]
    SubmitTaskRequest? Template,
    [property: Description("While a task of the schedule is open: skip (default), bufferOne, allow or cancelOther.")]
    string? Overlap,
    [property: Description("Fires missed while no service ran are made up for if at most this late (default 1m; 0s: never).")]
    string? CatchUpWindow,
    [property: Description("Missed fires inside the window: each (default) is a fire of its own, latest makes one fire of them all.")]
    string? CatchUp,
    [property: Description("No fire before this (ISO 8601 with an offset).")]
    string? StartAt,
    [property: Description("No fire after this (ISO 8601 with an offset).")]
    string? EndAt,
    [property: Description("Create it paused.")]
    bool? Paused);

/// <summary>Body of <c>POST /api/schedules/{id}/trigger</c>.</summary>
public sealed record TriggerScheduleRequest(
    [property: Description("Makes a retried trigger idempotent: the same id names the same fire and task.")]
    Guid? Id,
    [property: Description("The overlap policy of this fire (default: the schedule's).")]
    string? Overlap);
