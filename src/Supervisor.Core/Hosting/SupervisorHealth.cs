using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Supervisor.Hosting;

/// <summary>
/// The health endpoints every host serves. <c>/health/live</c> runs no check: the process answers. <c>/health/ready</c>
/// runs the checks tagged <see cref="ReadyTag"/>: MassTransit's bus check (it tags its own <c>ready</c>) and each
/// host's own (the service's database; the worker's agent binaries and container engine).
/// </summary>
public static class SupervisorHealth
{
    public const string LivePath = "/health/live";

    public const string ReadyPath = "/health/ready";

    public const string ReadyTag = "ready";

    public static readonly Func<HealthCheckRegistration, bool> Live = _ => false;

    public static readonly Func<HealthCheckRegistration, bool> Ready = check => check.Tags.Contains(ReadyTag);

    static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Both endpoints on the web host, with ASP.NET Core's plain-text answers (<c>Healthy</c>, 503 <c>Unhealthy</c>).</summary>
    public static IEndpointRouteBuilder MapSupervisorHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = Live });
        endpoints.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = Ready });
        return endpoints;
    }

    /// <summary>A small JSON body naming each check: <c>{"status":"Unhealthy","checks":{"masstransit-bus":{"status":…,"description":…}}}</c>.</summary>
    public static byte[] Json(HealthReport report) =>
        JsonSerializer.SerializeToUtf8Bytes(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }, StringComparer.Ordinal),
        }, Readable);
}
