using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Supervisor.Settings;

namespace Supervisor.Hosting;

/// <summary>
/// Tracing: one trace per task, from the HTTP submit (ASP.NET Core's instrumentation, which honours an incoming
/// <c>traceparent</c>) through MassTransit's send/consume activities (saga, worker) to our span around the agent process,
/// with the HTTP calls the hosts make (HttpClient instrumentation) and, in the service, its database commands (Npgsql's
/// instrumentation, added by the service). MassTransit carries the trace context in message headers only while someone
/// listens, so tracing is on when an OTLP endpoint is configured (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, exported there, with
/// the metrics of MassTransit and of our <c>Supervisor.*</c> meters) or <c>Supervisor:Tracing:Enabled</c> is true
/// (propagated and logged, exported nowhere).
/// </summary>
public static class SupervisorTelemetry
{
    public const string SourceName = "Supervisor";

    public static readonly ActivitySource Source = new(SourceName);

    static readonly string[] TracedSources = [SourceName, "MassTransit"];

    /// <summary>
    /// Whether the hosts trace: decided from configuration as the host is built, because instrumentation cannot be added
    /// once the providers are being built, and without it nothing listens (MassTransit then skips its activities and headers).
    /// </summary>
    static bool TracingOn(IConfiguration configuration) =>
        Exporting(configuration) || (bool.TryParse(configuration[TracingOptions.Section + ":Enabled"], out var enabled) && enabled);

    /// <summary>
    /// OpenTelemetry through its hosting package: the providers start with the host, before the bus (this is called
    /// before the bus is added), and are flushed and disposed with it.
    /// </summary>
    public static IHostApplicationBuilder AddSupervisorTelemetry(this IHostApplicationBuilder builder, string serviceName)
    {
        builder.Services.AddValidatedOptions<TracingOptions>(TracingOptions.Section);
        // OpenTelemetry's own variable, which its exporter reads too.
        var exporting = Exporting(builder.Configuration);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName));
        if (TracingOn(builder.Configuration))
        {
            telemetry.WithTracing(tracing =>
            {
                tracing.SetSampler(new ParentBasedSampler(new NoLoneClientCalls()))
                    .AddSource(TracedSources)
                    // Probes and scrapes every few seconds are not what anyone traces.
                    .AddAspNetCoreInstrumentation(o => o.Filter = context =>
                        !context.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal)
                        && !context.Request.Path.StartsWithSegments("/metrics", StringComparison.Ordinal))
                    .AddHttpClientInstrumentation();
                if (exporting)
                    tracing.AddOtlpExporter();
            });
        }

        if (exporting)
            telemetry.WithMetrics(metrics => metrics.AddMeter("MassTransit", "Supervisor.*").AddOtlpExporter());
        return builder;
    }

    static bool Exporting(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    /// <summary>
    /// A database command or HTTP call outside any trace starts none: the pollers (the scheduler's, the log follower's, the
    /// metric totals') would otherwise start a trace every few seconds. Inside a trace, every call is recorded.
    /// </summary>
    sealed class NoLoneClientCalls : Sampler
    {
        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
            new(samplingParameters.Kind == ActivityKind.Client ? SamplingDecision.Drop : SamplingDecision.RecordAndSample);
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
