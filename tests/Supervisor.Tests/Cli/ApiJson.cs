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

    public static string Utc(DateTimeOffset at) => at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}
