using System.Globalization;
using System.Text.Json;
using Supervisor.Cli.Api;

namespace Supervisor.Tests.Cli;

/// <summary>API documents as the service writes them, read through the CLI's own models and JSON options.</summary>
static class ApiJson
{
    public static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, ApiClient.JsonOptions)!;

    /// <summary>A <c>GET /api/tasks/{id}</c> answer with only what a delayed task's views look at.</summary>
    public static TaskDetail Task(string state, DateTimeOffset createdAt, DateTimeOffset? runAt) => Read<TaskDetail>($$"""
        {
          "id": "3f2a1b2c-8d4e-4f6a-9b1c-2d3e4f5a6b7c", "state": "{{state}}", "prompt": "make nightly",
          "agents": ["shell"], "expectChanges": false, "createdAt": "{{Utc(createdAt)}}",
          "runAt": {{(runAt is { } at ? $"\"{Utc(at)}\"" : "null")}}
        }
        """);

    /// <summary>
    /// A <c>GET /api/schedules</c> answer: a cron schedule in Berlin that fired 4 minutes before <paramref name="now"/> and
    /// fires again 250 s after it, with one open task, and a paused unnamed 2 s interval that never fired.
    /// </summary>
    public static IReadOnlyList<ScheduleSummary> Schedules(DateTimeOffset now) => Read<IReadOnlyList<ScheduleSummary>>($$"""
        [
          {
            "id": "5c0ffee0-1111-4a4a-8b8b-000000000001", "name": "nightly-deps", "cron": "0 3 * * *", "every": null,
            "timeZone": "Europe/Berlin", "overlap": "skip", "paused": false,
            "lastFireAt": "{{Utc(now - TimeSpan.FromMinutes(4))}}", "nextFireAt": "{{Utc(now + TimeSpan.FromSeconds(250))}}",
            "openTasks": 1
          },
          {
            "id": "abcd0123-2222-4a4a-8b8b-000000000002", "name": null, "cron": null, "every": "00:00:02",
            "timeZone": "UTC", "overlap": "bufferOne", "paused": true, "lastFireAt": null, "nextFireAt": null, "openTasks": 0
          }
        ]
        """);

    /// <summary>
    /// A <c>GET /api/schedules/{id}</c> answer of the documented shape: the cron schedule of <see cref="Schedules"/>,
    /// paused by alice when <paramref name="paused"/>, with a three-agent template and three recent fires.
    /// </summary>
    public static ScheduleDetail Schedule(DateTimeOffset now, bool paused = false) => Read<ScheduleDetail>($$"""
        {
          "id": "5c0ffee0-1111-4a4a-8b8b-000000000001", "name": "nightly-deps", "cron": "0 3 * * *", "every": null,
          "timeZone": "Europe/Berlin",
          "template": {
            "prompt": "Bump dependencies", "agents": ["claude", "codex"], "repository": {"path": "/src/app", "baseRef": "main"},
            "risk": "medium", "timeoutSeconds": 900, "verify": "make test", "expectChanges": true, "labels": {"team": "web"}
          },
          "overlap": "skip", "catchUpWindow": "00:01:00", "catchUp": "latest",
          "startAt": "{{Utc(now - TimeSpan.FromDays(2))}}", "endAt": null,
          "paused": {{(paused ? "true" : "false")}}, "pausedBy": {{(paused ? "\"alice\"" : "null")}},
          "pauseReason": {{(paused ? "\"release freeze\"" : "null")}},
          "createdBy": "bob", "createdAt": "{{Utc(now - TimeSpan.FromDays(3))}}",
          "lastFireAt": "{{Utc(now - TimeSpan.FromMinutes(4))}}",
          "nextFireAt": {{(paused ? "null" : $"\"{Utc(now + TimeSpan.FromSeconds(250))}\"")}},
          "counts": {"missedCatchUpWindow": 2, "coalesced": 1, "overlapSkipped": 3},
          "recentFires": [
            {"scheduledFor": "{{Utc(now - TimeSpan.FromMinutes(4))}}", "kind": "manual", "outcome": "submitted",
             "taskId": "7a7a7a7a-3333-4a4a-8b8b-000000000003", "taskState": "Running", "reason": null},
            {"scheduledFor": "{{Utc(now - TimeSpan.FromMinutes(5))}}", "kind": "scheduled", "outcome": "skipped",
             "taskId": null, "taskState": null, "reason": "task 7a7a7a7a is still open"},
            {"scheduledFor": "{{Utc(now - TimeSpan.FromMinutes(6))}}", "kind": "catchUp", "outcome": "buffered",
             "taskId": "8b8b8b8b-4444-4a4a-8b8b-000000000004", "taskState": "Succeeded", "reason": null}
          ]
        }
        """);

    public static string Utc(DateTimeOffset at) => at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}
