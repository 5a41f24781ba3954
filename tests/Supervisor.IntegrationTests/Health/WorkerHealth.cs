using System.Net;
using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Health;

/// <summary>
/// A worker answers <c>/health/live</c> and <c>/health/ready</c> on its metrics port: ready only while its bus is connected
/// and its agents' binaries are found, with a JSON body naming each check.
/// </summary>
public sealed class WorkerHealth
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task A_worker_with_its_broker_and_its_agent_is_live_and_ready()
    {
        var metricsUrl = $"http://127.0.0.1:{SupervisorStack.FreePort()}";
        await using var stack = await SupervisorStack.StartAsync("health", new Dictionary<string, string>
        {
            ["Supervisor__Worker__MetricsUrl"] = metricsUrl,
        }, services: 0, ("shell", 1));

        var (liveStatus, live) = await GetAsync(metricsUrl + "/health/live");
        var (readyStatus, ready) = await GetAsync(metricsUrl + "/health/ready");

        Assert.Equal(HttpStatusCode.OK, liveStatus);
        Assert.Equal("Healthy", live["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, readyStatus);
        Assert.Equal("Healthy", ready["checks"]!["masstransit-bus"]!["status"]!.GetValue<string>());
        Assert.Equal("Healthy", ready["checks"]!["agents"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_worker_without_its_broker_is_live_but_not_ready_naming_the_bus()
    {
        var metricsUrl = $"http://127.0.0.1:{SupervisorStack.FreePort()}";
        // Nothing listens on this port: the bus keeps trying to connect.
        await using var worker = StartWorker(metricsUrl, new Dictionary<string, string>
        {
            ["ConnectionStrings__RabbitMq"] = $"amqp://guest:guest@127.0.0.1:{SupervisorStack.FreePort()}/",
        }, "shell");

        var (liveStatus, _) = await WhenServingAsync(worker, metricsUrl + "/health/live");
        var (readyStatus, ready) = await GetAsync(metricsUrl + "/health/ready");

        Assert.Equal(HttpStatusCode.OK, liveStatus);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyStatus);
        Assert.Equal("Unhealthy", ready["status"]!.GetValue<string>());
        Assert.Equal("Unhealthy", ready["checks"]!["masstransit-bus"]!["status"]!.GetValue<string>());
        Assert.Equal("Healthy", ready["checks"]!["agents"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_worker_whose_agent_binary_is_missing_is_not_ready_naming_the_agent()
    {
        var metricsUrl = $"http://127.0.0.1:{SupervisorStack.FreePort()}";
        await using var worker = StartWorker(metricsUrl, new Dictionary<string, string>
        {
            ["ConnectionStrings__RabbitMq"] = $"amqp://guest:guest@127.0.0.1:{SupervisorStack.FreePort()}/",
            ["Supervisor__Agents__ghost__Command"] = "/nonexistent/ghost-agent",
        }, "ghost");

        await WhenServingAsync(worker, metricsUrl + "/health/live");
        var (readyStatus, ready) = await GetAsync(metricsUrl + "/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyStatus);
        var agents = ready["checks"]!["agents"]!;
        Assert.Equal("Unhealthy", agents["status"]!.GetValue<string>());
        Assert.Contains("ghost: cannot start '/nonexistent/ghost-agent'", agents["description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    static HostProcess StartWorker(string metricsUrl, Dictionary<string, string> environment, string agent)
    {
        environment["Supervisor__Worker__MetricsUrl"] = metricsUrl;
        environment["Supervisor__Worker__Id"] = $"health-{agent}";
        return HostProcess.Start($"health-{agent}", TestEnvironment.ProjectOutput("Supervisor.Worker", "Supervisor.Worker.dll"), environment,
            "--agent", agent);
    }

    /// <summary>The page's answer once the worker serves it (the bus waits for its broker, the metrics port does not).</summary>
    static async Task<(HttpStatusCode Status, JsonNode Body)> WhenServingAsync(HostProcess worker, string url)
    {
        (HttpStatusCode, JsonNode)? answer = null;
        await SupervisorStack.WaitUntilAsync(worker, async () =>
        {
            try
            {
                answer = await GetAsync(url);
                return true;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        });
        return answer!.Value;
    }

    static async Task<(HttpStatusCode Status, JsonNode Body)> GetAsync(string url)
    {
        using var response = await Http.GetAsync(url);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }
}
