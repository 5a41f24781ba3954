using System.Diagnostics;
using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Supervisor.IntegrationTests.Containers;

/// <summary>
/// compose/: the file validates, and the stack runs end to end on images built here from local files (PostgreSQL,
/// RabbitMQ, the service and the shell worker): up, scaled to three workers, a task submitted with the CLI, down.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class ComposeStack(ITestOutputHelper log)
{
    const string Worker = "worker-shell";
    static readonly TimeSpan ReadyWithin = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task The_compose_file_is_valid_for_docker_compose_and_for_the_compose_specification()
    {
        var output = await RepositoryScripts.RunAsync("compose-check.sh");

        Assert.Contains("valid for docker-compose", output);
        Assert.Contains("valid", output.Split('\n').Last(l => l.Length > 0));
    }

    [Fact]
    public async Task The_stack_scaled_to_three_shell_workers_runs_a_task_submitted_with_the_cli_and_down_leaves_nothing()
    {
        var clock = Stopwatch.StartNew();
        void Step(string what) => log.WriteLine($"{clock.Elapsed.TotalSeconds,6:F1} s  {what}");
        await RepositoryScripts.RunAsync("images.sh", "all");
        Step("images built");
        var project = await ComposeProject.CreateAsync();
        IReadOnlyList<string> volumes = [];
        await using (project)
        {
            // up waits for each health-gated dependency: PostgreSQL and RabbitMQ before the service, it before the worker
            await project.RunAsync("up", "-d");
            Assert.Equal("healthy", await HealthAsync(project, "service"));
            Step($"{project.Name} up, service healthy");
            await project.RunAsync("up", "-d", "--scale", $"{Worker}=3");

            var workers = await ReadyWorkersAsync(project);
            Assert.Equal(3, workers.Count);
            Step($"scaled: workers {string.Join(", ", workers.Values)} ready");
            var resources = await project.ResourcesAsync();
            volumes = [.. resources.Where(r => r.StartsWith("volume ", StringComparison.Ordinal)).Select(r => r["volume ".Length..])];

            var task = await SubmitWithCliAsync(project, "echo hello from uid $(id -u) on $(hostname) in $(pwd)");

            Assert.True(IsolatedAttempts.State(task) == "Succeeded", task.ToJsonString());
            var ranOn = task["attempts"]![0]!["worker"]!.GetValue<string>();
            Assert.Contains(ranOn, workers.Values);
            var container = workers.Single(w => w.Value == ranOn).Key;
            // The worker runs as root in its container; the agent as an attempt's uid of the default range, never the worker's.
            Assert.Matches($"hello from uid (60[6-9][0-9]{{2}}|610[0-9]{{2}}) on {container[..12]} in /var/lib/supervisor/workspaces/", task["result"]!["summary"]!.GetValue<string>());
            Step($"task succeeded on {ranOn}");
        }

        Step("down -v");

        Assert.Empty(await project.ResourcesAsync());
        Assert.NotEmpty(volumes);
        Assert.Empty(await ComposeProject.ExistingVolumesAsync(volumes));
    }

    static async Task<string> HealthAsync(ComposeProject project, string service)
    {
        var container = Assert.Single(await project.RunningAsync(service));
        return (await Commands.DockerAsync("inspect", "--format", "{{.State.Health.Status}}", container)).Trim();
    }

    /// <summary>Container id → the worker id its worker announced ("&lt;host name&gt;-&lt;pid&gt;" by default).</summary>
    static async Task<Dictionary<string, string>> ReadyWorkersAsync(ComposeProject project)
    {
        var deadline = DateTime.UtcNow + ReadyWithin;
        while (true)
        {
            var ready = new Dictionary<string, string>(StringComparer.Ordinal);
            var containers = await project.RunningAsync(Worker);
            foreach (var container in containers)
            {
                if (await ComposeProject.ReadyWorkerAsync(container) is { } id)
                    ready[container] = id;
            }

            if (containers.Count == 3 && ready.Count == 3)
                return ready;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{ready.Count} of {containers.Count} running {Worker} containers ready:\n{await project.RunAsync("logs", "--tail", "20", Worker)}");
            await Task.Delay(500);
        }
    }

    /// <summary><c>supervisor submit PROMPT --agent shell --wait --json</c>: the built CLI, as a user runs it.</summary>
    static async Task<JsonNode> SubmitWithCliAsync(ComposeProject project, string prompt)
    {
        var cli = TestEnvironment.ProjectOutput("Supervisor.Cli", "supervisor.dll");
        var (exitCode, output, error) = await Commands.TryRunAsync(
            "dotnet",
            [cli, "submit", prompt, "--agent", "shell", "--wait", "--json", "--api", project.Api.ToString()],
            new Dictionary<string, string> { ["SUPERVISOR_TOKEN"] = project.Token },
            TimeSpan.FromSeconds(90));
        Assert.True(exitCode == 0, $"supervisor submit exited with {exitCode}:\n{output}{error}\n{await project.RunAsync("logs", "--tail", "40")}");
        return JsonNode.Parse(output)!;
    }
}
