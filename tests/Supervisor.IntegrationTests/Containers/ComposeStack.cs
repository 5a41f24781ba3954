using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Containers;

/// <summary>
/// compose/: the file validates, and the images its Dockerfile builds (here on .NET base images made from local
/// files) run the service and a worker that complete a task against this machine's PostgreSQL and RabbitMQ.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class ComposeStack
{
    [Fact]
    public async Task The_compose_file_is_valid_for_docker_compose_and_for_the_compose_specification()
    {
        var output = await RepositoryScripts.RunAsync("compose-check.sh");

        Assert.Contains("valid for docker-compose", output);
        Assert.Contains("valid", output.Split('\n').Last(l => l.Length > 0));
    }

    [Fact]
    public async Task The_service_and_a_worker_run_as_containers_of_the_built_images_and_complete_a_task()
    {
        await RepositoryScripts.RunAsync("images.sh", "app");
        await using var resources = await IsolatedResources.CreateAsync("images");
        var url = $"http://127.0.0.1:{FreePort()}";
        var suffix = Guid.NewGuid().ToString("N")[..8];
        string[] common = ["run", "-d", "--network", "host", "--label", "supervisor.test=compose",
            "-e", $"ConnectionStrings__Postgres={resources.Postgres}", "-e", $"ConnectionStrings__RabbitMq={resources.RabbitMq}"];
        var service = $"supervisor-test-service-{suffix}";
        var worker = $"supervisor-test-worker-{suffix}";
        try
        {
            await DockerCliAsync([.. common, "--name", service, "-e", $"Supervisor__Api__Urls={url}", "supervisor-service:local"]);
            await DockerCliAsync([.. common, "--name", worker, "-e", "Supervisor__Worker__Id=container-worker", "supervisor-worker:local", "--agent", "shell"]);
            using var api = new ApiClient(new Uri(url));
            await WaitUntilAsync(service, async () => (await DockerCliAsync(["inspect", "--format", "{{.State.Health.Status}}", service])).Trim() == "healthy");
            await WaitUntilAsync(worker, async () => (await DockerCliAsync(["logs", worker])).Contains("Worker container-worker ready", StringComparison.Ordinal));

            var id = await api.SubmitAsync(new { prompt = "echo hello from uid $(id -u) in $(pwd)", agent = "shell" });
            var task = await api.WaitForAsync(id, TimeSpan.FromSeconds(60));

            Assert.True(IsolatedAttempts.State(task) == "Succeeded", task.ToJsonString());
            Assert.Equal("container-worker", task["attempts"]![0]!["worker"]!.GetValue<string>());
            Assert.Contains("hello from uid 1654 in /var/lib/supervisor/workspaces/", task["result"]!["summary"]!.GetValue<string>());
        }
        finally
        {
            await DockerCliAsync(["rm", "-f", service, worker], check: false);
        }
    }

    static async Task WaitUntilAsync(string container, Func<Task<bool>> ready)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!await ready())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"container {container} was not ready within 90 s:\n{await DockerCliAsync(["logs", "--tail", "40", container], check: false)}");
            await Task.Delay(500);
        }
    }

    /// <summary>The docker CLI, as an operator would run these images.</summary>
    static async Task<string> DockerCliAsync(string[] arguments, bool check = true)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (check && process.ExitCode != 0)
            throw new InvalidOperationException($"docker {string.Join(' ', arguments)} failed: {await error}");
        return await output + await error;
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
