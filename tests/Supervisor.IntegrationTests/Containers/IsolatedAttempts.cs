using System.Text.Json.Nodes;
using Docker.DotNet.Models;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Containers;

/// <summary>Tasks of container-isolated agents, end to end through the service, the broker and a worker.</summary>
[Collection(ContainerCollection.Name)]
public sealed class IsolatedAttempts(ContainerFixture fixture)
{
    readonly ApiClient _api = fixture.Stack.Api;
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task An_attempt_sees_only_its_workspace_and_configured_environment_and_its_changes_land_on_its_branch()
    {
        using var repo = await GitRepository.CreateAsync();
        var prompt = $"""
            ls / > seen-root.txt
            env | cut -d= -f1 | sort > seen-env-names.txt
            env | sort > seen-env.txt
            if [ -e '{repo.Path}' ]; then echo visible > repository-visible.txt; fi
            echo "written in a container" > NOTES.md
            """;

        // The verify command runs in a container of its own, after the agent's, on the same workspace.
        var id = await _api.SubmitAsync(new { prompt, agent = "boxed", repository = new { path = repo.Path }, verify = "grep -q container NOTES.md && pwd" });
        var task = await _api.WaitForAsync(id, Timeout);

        Assert.True(State(task) == "Succeeded", task.ToJsonString());
        var branch = task["result"]!["branch"]!.GetValue<string>();
        Assert.Equal(branch, task["attempts"]![0]!["branch"]!.GetValue<string>());
        Assert.Equal("written in a container\n", await repo.GitAsync("show", $"{branch}:NOTES.md"));
        // home: the attempt's own HOME, mounted there (a sandboxed attempt's HOME is always its own).
        Assert.Equal(["bin", "dev", "etc", "home", "proc", "root", "sys", "tmp", "workspace"], Lines(await repo.GitAsync("show", $"{branch}:seen-root.txt")));
        Assert.Equal(
            ["BOXED_MARK", "HOME", "HOSTNAME", "PATH", "PWD", "SHLVL", "SUPERVISOR_AGENT", "SUPERVISOR_ATTEMPT", "SUPERVISOR_TASK_ID", "SUPERVISOR_WORKSPACE", "TMPDIR"],
            Lines(await repo.GitAsync("show", $"{branch}:seen-env-names.txt")));
        var env = Lines(await repo.GitAsync("show", $"{branch}:seen-env.txt"));
        Assert.Contains("BOXED_MARK=configured", env);
        Assert.Contains("SUPERVISOR_WORKSPACE=/workspace", env);
        Assert.Contains($"SUPERVISOR_TASK_ID={id}", env);
        Assert.Contains("PATH=/bin", env);
        Assert.Contains("PWD=/workspace", env);
        Assert.Contains("HOME=/home/supervisor", env);
        Assert.DoesNotContain(env, line => line.Contains("must-not-leak", StringComparison.Ordinal));
        Assert.Equal("", await repo.GitAsync("ls-tree", "--name-only", branch, "repository-visible.txt"));
        var logs = string.Concat((await _api.CompleteLogsAsync(id)).Select(c => c!["text"]!.GetValue<string>()));
        Assert.Contains("[supervisor: verify exited with code 0]", logs);
        Assert.Contains("/workspace\n", logs);
        await DockerEngine.AssertNoContainerLeftAsync(id);
    }

    [Fact]
    public async Task A_container_over_its_memory_limit_is_a_ContainerCrash_and_the_retry_runs_in_a_new_container()
    {
        const string prompt = """
            echo "container $(hostname)"
            if [ "$SUPERVISOR_ATTEMPT" = 1 ]; then dd if=/dev/zero of=/dev/null bs=200M count=1 || exit $?; fi
            echo survived
            """;

        var id = await _api.SubmitAsync(new { prompt, agent = "boxed" });
        var task = await _api.WaitForAsync(id, Timeout);

        Assert.True(State(task) == "Succeeded", task.ToJsonString());
        var attempts = task["attempts"]!.AsArray();
        Assert.Equal(2, attempts.Count);
        Assert.Equal("ContainerCrash", attempts[0]!["errorClass"]!.GetValue<string>());
        Assert.Contains("out of memory", attempts[0]!["message"]!.GetValue<string>());
        Assert.Contains("64 MB", attempts[0]!["message"]!.GetValue<string>());
        Assert.Equal(137, attempts[0]!["exitCode"]!.GetValue<int>());
        var containers = (await _api.CompleteLogsAsync(id))
            .Where(c => c!["text"]!.GetValue<string>().StartsWith("container ", StringComparison.Ordinal))
            .Select(c => (Attempt: c!["attempt"]!.GetValue<int>(), Host: c["text"]!.GetValue<string>().Split('\n')[0]))
            .ToList();
        Assert.Equal([1, 2], containers.Select(c => c.Attempt));
        Assert.NotEqual(containers[0].Host, containers[1].Host);
        await DockerEngine.AssertNoContainerLeftAsync(id);
    }

    [Fact]
    public async Task Cancelling_a_running_task_kills_and_removes_its_container_within_five_seconds()
    {
        var id = await _api.SubmitAsync(new { prompt = "echo up; sleep 300", agent = "boxed" });
        await WaitUntilAsync(async () => (await _api.LogsAsync(id)).Any(c => c!["text"]!.GetValue<string>().Contains("up", StringComparison.Ordinal)));
        Assert.Single(await DockerEngine.ContainersOfTaskAsync(id));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (status, _) = await _api.CommandAsync(id, "cancel", by: "dave");
        while ((await DockerEngine.ContainersOfTaskAsync(id)).Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(10))
            await Task.Delay(50);

        Assert.Equal(202, status);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the container lived {clock.Elapsed} after cancel");
        Assert.Equal("Cancelled", State(await _api.WaitForAsync(id, Timeout)));
        await DockerEngine.AssertNoContainerLeftAsync(id);
    }

    static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await Holds(condition))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("condition not met within 60 s");
            await Task.Delay(100);
        }
    }

    static async Task<bool> Holds(Func<Task<bool>> condition)
    {
        try
        {
            return await condition();
        }
        catch (HttpRequestException)
        {
            // The task is not recorded yet.
            return false;
        }
    }

    internal static string State(JsonNode task) => task["state"]!.GetValue<string>();

    static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task A_worker_killed_with_kill_9_has_its_attempts_container_removed_by_its_reaper_within_seconds()
    {
        var id = await _api.SubmitAsync(new { prompt = "sleep 300", agent = "boxed" });
        var running = await _api.WaitForAsync(id, Timeout, "Running");
        var victim = running["attempts"]![0]!["worker"]!.GetValue<string>();
        // Running once the attempt holds its lease; its container is made just after: wait for it to be up.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        ContainerListResponse? container;
        while ((container = (await DockerEngine.ContainersOfTaskAsync(id)).SingleOrDefault(c => c.State == "running")) is null && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.NotNull(container);

        await fixture.Stack.Worker(victim).KillAsync();

        // No worker with that id runs: the dead worker's reaper removes the container (docker rm -f by its label).
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while ((await DockerEngine.ContainersOfTaskAsync(id)).Any(c => c.ID == container.ID) && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        Assert.DoesNotContain(await DockerEngine.ContainersOfTaskAsync(id), c => c.ID == container.ID);

        await fixture.Stack.AddWorkerAsync("boxed", new Dictionary<string, string> { [ContainerFixture.WorkerOnlyVariable] = "must-not-leak" },
            id: victim);
        await _api.CommandAsync(id, "cancel", reason: "test done");
        await _api.WaitForAsync(id, Timeout, "Cancelled");
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await DockerEngine.ContainersOfTaskAsync(id)).Count > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        await DockerEngine.AssertNoContainerLeftAsync(id);
    }
}
