using System.Net;
using System.Text;
using Microsoft.Extensions.Options;

namespace Supervisor.Worker.Metrics;

/// <summary>
/// Serves <c>GET /metrics</c> at <see cref="WorkerOptions.MetricsUrl"/> (when set). A plain <see cref="HttpListener"/>:
/// the worker has no web host and needs no more than one read-only page.
/// </summary>
public sealed partial class MetricsServer(IOptions<WorkerOptions> options, WorkerMetrics metrics, ILogger<MetricsServer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.MetricsUrl is not { } url)
            return;

        using var listener = new HttpListener();
        listener.Prefixes.Add(url.EndsWith('/') ? url : url + "/");
        listener.Start();
        LogListening(url.TrimEnd('/') + "/metrics");
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
            if (context.Request.HttpMethod != "GET" || context.Request.Url?.AbsolutePath.TrimEnd('/') != "/metrics")
            {
                response.StatusCode = 404;
                continue;
            }

            var body = Encoding.UTF8.GetBytes(metrics.Render());
            response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            response.ContentLength64 = body.Length;
            await response.OutputStream.WriteAsync(body, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Metrics on {Url}")]
    partial void LogListening(string url);
}
