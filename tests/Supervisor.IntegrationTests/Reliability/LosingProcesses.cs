using Supervisor.IntegrationTests.Infrastructure;
using static Supervisor.IntegrationTests.Reliability.RetryAndFallback;

namespace Supervisor.IntegrationTests.Reliability;

[Collection(ReliabilityCollection.Name)]
public sealed class LosingProcesses(ReliabilityFixture fixture)
{
    readonly ApiClient _api = fixture.Stack.Api;
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_worker_killed_mid_attempt_loses_nothing_and_the_task_completes_elsewhere()
    {
        var (id, victim) = await RunningSlowAsync("slow=1:0:sleep:4");

        await fixture.Stack.Worker(victim).KillAsync();
        var task = await _api.WaitForAsync(id, Timeout);
        await fixture.AddSlowWorkerAsync();

        Assert.Equal("Succeeded", State(task));
        var attempts = Attempts(task);
        Assert.Equal(2, attempts.Count);
        Assert.Equal(("ContainerCrash", victim), (attempts[0]["errorClass"]!.GetValue<string>(), attempts[0]["worker"]!.GetValue<string>()));
        Assert.Contains("worker lost", attempts[0]["message"]!.GetValue<string>());
        Assert.NotEqual(victim, attempts[1]["worker"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_worker_killed_with_kill_9_takes_its_agent_processes_with_it_within_seconds()
    {
        // The agent forks a sleep in its process group and another in a session of its own (setsid).
        var (id, victim) = await RunningSlowAsync("slow=1:0:spawn:120");
        var pids = Path.Combine(fixture.State, $"{id}.pids");
        await WaitUntilAsync(() => File.Exists(pids) && ProcessTree.Pids(pids).Count() == 2);
        Assert.All(ProcessTree.Pids(pids), pid => Assert.False(ProcessTree.IsGone(pid), $"agent process {pid} is not running"));

        await fixture.Stack.Worker(victim).KillAsync();

        // No worker with the same id starts again: the dead worker's reaper alone kills them.
        await WaitUntilAsync(() => ProcessTree.Pids(pids).All(ProcessTree.IsGone), seconds: 10);
        await _api.WaitForAsync(id, Timeout);
        await fixture.AddSlowWorkerAsync();
    }

    [Fact]
    public async Task A_redelivered_job_that_gets_no_answer_from_the_service_waits_instead_of_running_the_attempt_twice()
    {
        // The first run takes 20 s; every later one succeeds at once. The agent counts its runs in the state directory.
        var (id, victim) = await RunningSlowAsync("slow=1:0:sleep:20");
        var runs = Path.Combine(fixture.State, $"{id}-slow");

        // No service to answer start checks, then the worker lost: the broker redelivers the job to the other worker.
        var service = fixture.Stack.Services[0];
        await service.KillAsync();
        await fixture.Stack.Worker(victim).KillAsync();

        // Well past the start check's 10 s: the copy must not have run the attempt (its first run is still going).
        await Task.Delay(TimeSpan.FromSeconds(15));
        Assert.Equal("1", (await File.ReadAllTextAsync(runs)).Trim());

        // Once the service answers, the lost worker's claim is taken over and the task completes.
        await fixture.Stack.RestartServiceAsync(service);
        var task = await _api.WaitForAsync(id, Timeout);
        await fixture.AddSlowWorkerAsync(victim);

        Assert.Equal("Succeeded", State(task));
        Assert.Equal("2", (await File.ReadAllTextAsync(runs)).Trim());
    }

    /// <summary>Submits a task to the slow agent and waits until it runs; returns the task and the worker running it.</summary>
    async Task<(Guid Id, string Worker)> RunningSlowAsync(string prompt)
    {
        var id = await _api.SubmitAsync(new { prompt, agent = "slow" });
        var running = await _api.WaitForAsync(id, Timeout, "Running");
        return (id, Attempts(running)[0]["worker"]!.GetValue<string>());
    }

    static async Task WaitUntilAsync(Func<bool> condition, int seconds = 30)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"condition not reached within {seconds} s");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_stopping_worker_hands_its_job_back_after_the_grace_period_without_using_a_retry()
    {
        var (id, stopping) = await RunningSlowAsync("slow=1:0:sleep:60");

        await fixture.Stack.Worker(stopping).StopAsync(TimeSpan.FromSeconds(30));
        var task = await _api.WaitForAsync(id, Timeout);
        await fixture.AddSlowWorkerAsync();

        Assert.Equal("Succeeded", State(task));
        var attempts = Attempts(task);
        Assert.Equal(2, attempts.Count);
        Assert.Equal("ContainerCrash", attempts[0]["errorClass"]!.GetValue<string>());
        Assert.Contains("handed back", attempts[0]["message"]!.GetValue<string>());
        Assert.Equal(0, attempts[1]["redelivery"]!.GetValue<int>());
        Assert.NotEqual(stopping, attempts[1]["worker"]!.GetValue<string>());
        Assert.All(ProcessTree.Pids(Path.Combine(fixture.State, $"{id}.pids")),
            pid => Assert.True(ProcessTree.IsGone(pid), $"the interrupted attempt's process {pid} outlived its worker"));
    }

    [Fact]
    public async Task A_retry_scheduled_before_a_service_restart_still_fires_exactly_once()
    {
        var id = await _api.SubmitAsync(new { prompt = "delta=1:1:429 Too Many Requests", agent = "delta" });
        await _api.WaitForAsync(id, Timeout, "RetryScheduled");

        var service = fixture.Stack.Services[0];
        await service.KillAsync();
        await fixture.Stack.RestartServiceAsync(service);
        var task = await _api.WaitForAsync(id, Timeout);
        await Task.Delay(TimeSpan.FromSeconds(3));
        task = await _api.GetAsync(id);

        Assert.Equal("Succeeded", State(task));
        Assert.Equal(2, Attempts(task).Count);
        Assert.Equal("2", (await File.ReadAllTextAsync(Path.Combine(fixture.State, $"{id}-delta"))).Trim());
    }

    /// <summary>
    /// The service is killed while a delayed task waits and stays down past the task's time: the service that comes back
    /// starts it (the scheduler's start misfired, so it fires at once), once.
    /// </summary>
    [Fact]
    public async Task A_delayed_task_waiting_across_a_kill_9_of_the_service_runs_exactly_once_after_its_time()
    {
        var runAt = ApiClient.RunAt(TimeSpan.FromSeconds(6));
        var id = await _api.SubmitAsync(new { prompt = "gamma=0", agent = "gamma", runAt = runAt.ToString("O") });
        var waiting = await _api.WaitForAsync(id, Timeout, "Submitted");
        Assert.Equal(runAt, waiting["runAt"]!.GetValue<DateTime>().ToUniversalTime());

        var service = fixture.Stack.Services[0];
        await service.KillAsync();
        await Task.Delay(runAt - DateTime.UtcNow + TimeSpan.FromSeconds(2));
        await fixture.Stack.RestartServiceAsync(service);
        var task = await _api.WaitForAsync(id, Timeout);
        await Task.Delay(TimeSpan.FromSeconds(3));
        task = await _api.GetAsync(id);

        Assert.Equal("Succeeded", State(task));
        var started = Assert.Single(Attempts(task))["startedAt"]!.GetValue<DateTime>().ToUniversalTime();
        Assert.True(started >= runAt, $"started at {started:O}, before its time {runAt:O}");
        Assert.Equal("1", (await File.ReadAllTextAsync(Path.Combine(fixture.State, $"{id}-gamma"))).Trim());
    }
}
