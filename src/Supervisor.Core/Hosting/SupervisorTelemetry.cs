using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Supervisor.Settings;

namespace Supervisor.Hosting;

/// <summary>
/// Tracing: one trace per task, from the HTTP submit (ASP.NET Core's own activity, which honours an incoming
/// <c>traceparent</c>) through MassTransit's send/consume activities (saga, worker) to our span around the agent process.
/// MassTransit carries the trace context in message headers only while someone listens, so tracing is on when an
/// OTLP endpoint is configured (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, exported there, with the metrics of MassTransit and of our <c>Supervisor.*</c> meters) or
/// <c>Supervisor:Tracing:Enabled</c> is true (propagated and logged, exported nowhere).
/// </summary>
public static class SupervisorTelemetry
{
    public const string SourceName = "Supervisor";

    public static readonly ActivitySource Source = new(SourceName);

    static readonly string[] TracedSources = [SourceName, "MassTransit", "Microsoft.AspNetCore"];

    /// <summary>
    /// OpenTelemetry through its hosting package: the providers start with the host, before the bus (this is called
    /// before the bus is added), and are flushed and disposed with it.
    /// </summary>
    public static IHostApplicationBuilder AddSupervisorTelemetry(this IHostApplicationBuilder builder, string serviceName)
    {
        builder.Services.AddValidatedOptions<TracingOptions>(TracingOptions.Section);
        // OpenTelemetry's own variable, which its exporter reads too; decided here because an exporter cannot be added
        // once the providers are being built.
        var exporting = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing =>
            {
                // No source, no listener: without tracing MassTransit skips its activities and their headers altogether.
                ((IDeferredTracerProviderBuilder)tracing).Configure((services, configure) =>
                {
                    if (exporting || services.GetRequiredService<IOptions<TracingOptions>>().Value.Enabled)
                        configure.AddSource(TracedSources);
                });
                if (exporting)
                    tracing.AddOtlpExporter();
            });
        if (exporting)
            telemetry.WithMetrics(metrics => metrics.AddMeter("MassTransit", "Supervisor.*").AddOtlpExporter());
        return builder;
    }
}

/// <summary><c>Supervisor:Tracing</c>: trace context carried through messages even when nothing is exported.</summary>
public sealed class TracingOptions : IValidatedOptions
{
    public const string Section = "Supervisor:Tracing";

    /// <summary>Propagate and log trace ids without an OTLP endpoint (one is enough to turn tracing on by itself).</summary>
    public bool Enabled { get; set; }

    public IReadOnlyList<string> Validate() => [];
}
