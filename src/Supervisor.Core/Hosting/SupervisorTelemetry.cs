using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Supervisor.Hosting;

/// <summary>
/// Tracing: one trace per task, from the HTTP submit (ASP.NET Core's own activity, which honours an incoming
/// <c>traceparent</c>) through MassTransit's send/consume activities (saga, worker) to our span around the agent process.
/// MassTransit carries the trace context in message headers only while someone listens, so tracing is on when an
/// OTLP endpoint is configured (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, exported there) or <c>Supervisor:Tracing:Enabled</c>
/// is true (propagated and logged, exported nowhere).
/// </summary>
public static class SupervisorTelemetry
{
    public const string SourceName = "Supervisor";

    public static readonly ActivitySource Source = new(SourceName);

    public static IHostApplicationBuilder AddSupervisorTracing(this IHostApplicationBuilder builder, string serviceName)
    {
        var endpoint = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var exporting = !string.IsNullOrWhiteSpace(endpoint);
        if (!exporting && !builder.Configuration.GetValue("Supervisor:Tracing:Enabled", false))
            return builder;

        // Built now so that it listens from the first message on; the hosted service flushes and disposes it on stop.
        var tracing = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(serviceName))
            .AddSource(SourceName, "MassTransit", "Microsoft.AspNetCore");
        if (exporting)
            tracing.AddOtlpExporter();
        var provider = tracing.Build();
        builder.Services.AddHostedService(_ => new TracingLifetime(provider));
        return builder;
    }
}

sealed class TracingLifetime(TracerProvider provider) : IHostedService, IDisposable
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        provider.ForceFlush(5000);
        return Task.CompletedTask;
    }

    public void Dispose() => provider.Dispose();
}
