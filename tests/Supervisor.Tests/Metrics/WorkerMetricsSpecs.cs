using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Supervisor.Worker.Attempts;
using Supervisor.Worker.Metrics;
using Supervisor.Worker.Settings;

namespace Supervisor.Tests.Metrics;

public sealed class WorkerMetricsSpecs
{
    // Agent names of their own: the meter's name is process-wide, and other specs record "shell" attempts meanwhile.
    [Fact]
    public async Task The_metrics_server_serves_started_finished_output_running_and_limit_signals_under_the_names_it_always_had()
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        var running = new RunningAttempts();
        using var metrics = new WorkerMetrics(running);
        await using var server = new MetricsServer(Options.Create(new WorkerOptions { MetricsUrl = url }), HealthChecks(), NullLoggerFactory.Instance);
        await server.StartAsync(CancellationToken.None);
        try
        {
            // Counted from the server's start, as in the worker, where it starts before the bus.
            metrics.AttemptStarted("metrics-spec");
            metrics.AttemptStarted("metrics-spec");
            metrics.AttemptFinished("metrics-spec", "succeeded");
            metrics.AttemptFinished("metrics-spec", "Retryable");
            metrics.Output("metrics-spec", 10);
            metrics.Output("metrics-spec", 5);
            metrics.LimitSignal("metrics-spec", "rateLimit", WorkerMetrics.LiveSignal);
            metrics.LimitSignal("metrics-spec", "rateLimit", WorkerMetrics.FinalSignal);
            metrics.LimitSignal("metrics-spec", "rateLimit", WorkerMetrics.LiveSignal);
            using var held = running.Receive(Guid.NewGuid(), "metrics-spec");
            held.Lease(Guid.NewGuid(), 1, DateTime.UtcNow);
            using var http = new HttpClient();
            using var response = await RetryAsync(() => http.GetAsync(url + "/metrics"));
            var text = await response.Content.ReadAsStringAsync();
            using var other = await http.GetAsync(url + "/other");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("supervisor_worker_attempts_started_total{agent=\"metrics-spec\"} 2", text, StringComparison.Ordinal);
            Assert.Contains("supervisor_worker_attempts_finished_total{agent=\"metrics-spec\",outcome=\"succeeded\"} 1", text, StringComparison.Ordinal);
            Assert.Contains("supervisor_worker_attempts_finished_total{agent=\"metrics-spec\",outcome=\"Retryable\"} 1", text, StringComparison.Ordinal);
            Assert.Contains("supervisor_worker_output_bytes_total{agent=\"metrics-spec\"} 15", text, StringComparison.Ordinal);
            Assert.Contains("supervisor_worker_attempts_running{agent=\"metrics-spec\"} 1", text, StringComparison.Ordinal);
            Assert.Contains("supervisor_worker_limit_signals_total{agent=\"metrics-spec\",kind=\"rateLimit\",source=\"live\"} 2", text, StringComparison.Ordinal);
            Assert.Contains("supervisor_worker_limit_signals_total{agent=\"metrics-spec\",kind=\"rateLimit\",source=\"final\"} 1", text, StringComparison.Ordinal);
            Assert.Contains("# TYPE supervisor_worker_attempts_running gauge\n", text, StringComparison.Ordinal);
            Assert.Contains("# TYPE supervisor_worker_attempts_started_total counter\n", text, StringComparison.Ordinal);
            Assert.Contains("# TYPE supervisor_worker_output_bytes_total counter\n", text, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        }
        finally
        {
            await server.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task MetricsServer_ServesLivenessAndReadinessNamingEachCheck()
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        var health = HealthChecks(checks => checks
            .AddCheck("broker", () => HealthCheckResult.Unhealthy("not connected"), tags: [Supervisor.Hosting.SupervisorHealth.ReadyTag])
            .AddCheck("agents", () => HealthCheckResult.Healthy("found: shell"), tags: [Supervisor.Hosting.SupervisorHealth.ReadyTag]));
        await using var server = new MetricsServer(Options.Create(new WorkerOptions { MetricsUrl = url }), health, NullLoggerFactory.Instance);
        await server.StartAsync(CancellationToken.None);
        try
        {
            using var http = new HttpClient();
            using var live = await RetryAsync(() => http.GetAsync(url + "/health/live"));
            using var ready = await http.GetAsync(url + "/health/ready");
            var body = System.Text.Json.Nodes.JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;

            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("application/json", ready.Content.Headers.ContentType?.MediaType);
            Assert.Equal("Unhealthy", body["status"]!.GetValue<string>());
            Assert.Equal("Unhealthy", body["checks"]!["broker"]!["status"]!.GetValue<string>());
            Assert.Equal("not connected", body["checks"]!["broker"]!["description"]!.GetValue<string>());
            Assert.Equal("Healthy", body["checks"]!["agents"]!["status"]!.GetValue<string>());
        }
        finally
        {
            await server.StopAsync(CancellationToken.None);
        }
    }

    static HealthCheckService HealthChecks(Action<IHealthChecksBuilder>? add = null)
    {
        var services = new ServiceCollection().AddLogging();
        var checks = services.AddHealthChecks();
        add?.Invoke(checks);
        return services.BuildServiceProvider().GetRequiredService<HealthCheckService>();
    }

    static async Task<HttpResponseMessage> RetryAsync(Func<Task<HttpResponseMessage>> get)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                return await get();
            }
            catch (HttpRequestException) when (i < 50)
            {
                await Task.Delay(100);
            }
        }
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
