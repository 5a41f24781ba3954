using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Supervisor.Hosting;
using Supervisor.Worker.Settings;

namespace Supervisor.Worker.Metrics;

/// <summary>
/// Serves <c>GET /metrics</c>, <c>/health/live</c> and <c>/health/ready</c> at <see cref="WorkerOptions.MetricsUrl"/>
/// (when set; otherwise no port is opened) on a small Kestrel application of its own, started and stopped with the
/// worker's host, which is not a web host. <c>/metrics</c> is OpenTelemetry's Prometheus exporter over the worker's meter
/// (<see cref="WorkerMetrics"/>), on a meter provider of its own so that the page shows exactly those instruments whatever
/// else the OTLP exporter is given. The health pages answer 200 or 503 with a small JSON body naming each check
/// (<see cref="SupervisorHealth"/>).
/// </summary>
public sealed partial class MetricsServer(IOptions<WorkerOptions> options, HealthCheckService health, ILoggerFactory loggerFactory)
    : IHostedService, IAsyncDisposable
{
    readonly ILogger _logger = loggerFactory.CreateLogger<MetricsServer>();
    MeterProvider? _meters;
    WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MetricsUrl is not { } url)
            return;

        _meters = Sdk.CreateMeterProviderBuilder()
            .AddMeter(WorkerMetrics.MeterName)
            .AddPrometheusExporter(o =>
            {
                // The page as it has always been: our families only, each value as of the scrape.
                o.ScopeInfoEnabled = false;
                o.TargetInfoEnabled = false;
                o.ScrapeResponseCacheDurationMilliseconds = 0;
            })
            .Build();

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelCore().UseUrls(url);
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(health);
        // The worker's logging, and no console lifetime of its own: the worker's host decides when this stops.
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<IHostLifetime, HostedLifetime>();
        _app = builder.Build();
        _app.MapPrometheusScrapingEndpoint("/metrics", _meters, configureBranchedPipeline: null!, optionsName: null!);
        _app.MapHealthChecks(SupervisorHealth.LivePath, Page(SupervisorHealth.Live));
        _app.MapHealthChecks(SupervisorHealth.ReadyPath, Page(SupervisorHealth.Ready));
        await _app.StartAsync(cancellationToken);
        var page = url.TrimEnd('/') + "/metrics";
        LogListening(page);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
            await _app.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync();
        _meters?.Dispose();
    }

    static HealthCheckOptions Page(Func<HealthCheckRegistration, bool> predicate) => new()
    {
        Predicate = predicate,
        ResponseWriter = (context, report) =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.Body.WriteAsync(SupervisorHealth.Json(report)).AsTask();
        },
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Metrics on {Url}")]
    partial void LogListening(string url);

    /// <summary>Starts and stops only when told to (no signal handling of its own).</summary>
    sealed class HostedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
