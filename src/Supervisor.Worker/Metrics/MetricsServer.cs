using System.Net;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Supervisor.Hosting;
using Supervisor.Worker.Settings;

namespace Supervisor.Worker.Metrics;

/// <summary>
/// Serves <c>GET /metrics</c>, <c>/health/live</c> and <c>/health/ready</c> at <see cref="WorkerOptions.MetricsUrl"/>
/// (when set). A plain <see cref="HttpListener"/>: the worker has no web host and needs no more than a few read-only pages.
/// The health pages answer 200 or 503 with a small JSON body naming each check (<see cref="SupervisorHealth"/>).
/// </summary>
public sealed partial class MetricsServer(IOptions<WorkerOptions> options, WorkerMetrics metrics, HealthCheckService health,
    ILogger<MetricsServer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.MetricsUrl is not { } url)
            return;

        using var listener = new HttpListener();
        var prefix = url.EndsWith('/') ? url : url + "/";
        listener.Prefixes.Add(prefix);
        listener.Start();
        var metricsUrl = prefix + "metrics";
        LogListening(metricsUrl);
        using var stop = stoppingToken.Register(listener.Stop);
        while (!stoppingToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException && stoppingToken.IsCancellationRequested)
            {
                return;
            }

            using var response = context.Response;
            var path = context.Request.Url?.AbsolutePath.TrimEnd('/');
            if (context.Request.HttpMethod != "GET")
            {
                response.StatusCode = 404;
            }
            else if (path == "/metrics")
            {
                await WriteAsync(response, 200, "text/plain; version=0.0.4; charset=utf-8", Encoding.UTF8.GetBytes(metrics.Render()), stoppingToken);
            }
            else if (path is SupervisorHealth.LivePath or SupervisorHealth.ReadyPath)
            {
                var report = await health.CheckHealthAsync(path == SupervisorHealth.LivePath ? SupervisorHealth.Live : SupervisorHealth.Ready,
                    stoppingToken);
                await WriteAsync(response, SupervisorHealth.StatusCode(report), "application/json", SupervisorHealth.Json(report), stoppingToken);
            }
            else
            {
                response.StatusCode = 404;
            }
        }
    }

    static async Task WriteAsync(HttpListenerResponse response, int status, string contentType, byte[] body, CancellationToken cancellationToken)
    {
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Metrics on {Url}")]
    partial void LogListening(string url);
}
