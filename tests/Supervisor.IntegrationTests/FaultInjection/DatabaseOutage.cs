using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;
using Supervisor.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Supervisor.IntegrationTests.FaultInjection;

/// <summary>
/// Issue 14's first scenario, as a new user met it: PostgreSQL stopped — longer than the watchdog takes to end a service
/// it finds wedged, and longer than the log endpoint's retries used to last — with 40 short tasks in flight, and 5 more
/// submitted while it is down. Every message waits for the database (Supervisor:Storage:RideOutFor) instead of going to
/// an error queue — the agents' output included — and of the two service instances, the one that runs throughout
/// keeps waiting, and the one stopped and started again at the outage's start waits for the database rather than exiting.
/// </summary>
[Collection(FaultInjectionCollection.Name)]
public sealed class DatabaseOutage(ITestOutputHelper output)
{
    /// <summary>The shortest StuckAfter the service accepts; the test runs with it so that the outage outlasts it.</summary>
    static readonly TimeSpan StuckAfter = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long the first service must still run into the outage: by then its messages have waited longer than StuckAfter,
    /// the watchdog has looked (every StuckAfter / 10), and a watchdog that found them wedged has ended the process (a
    /// graceful stop within the host's 30 s ShutdownTimeout, then Environment.Exit 5 s later).
    /// </summary>
    static readonly TimeSpan FirstServiceAliveFor = StuckAfter + (StuckAfter / 10) + TimeSpan.FromSeconds(30 + 5);

    /// <summary>
    /// How long the log endpoint's own retry used to last before it dead-lettered output (Exponential(15, 100 ms, 10 s,
    /// 200 ms): about 93 s); the outage outlasts it, so that output lost that way would show.
    /// </summary>
    static readonly TimeSpan FormerLogRetry = TimeSpan.FromSeconds(93);

    /// <summary>A service started during the outage used to give up waiting for the database after 30 s.</summary>
    static readonly TimeSpan FormerStartupWait = TimeSpan.FromSeconds(30);

    static readonly TimeSpan Outage = TimeSpan.FromSeconds(Math.Max(FirstServiceAliveFor.TotalSeconds, (FormerLogRetry + TimeSpan.FromSeconds(10)).TotalSeconds));

    /// <summary>The ticker prints every 2 s from before the outage to this long after it.</summary>
    static readonly int Ticks = (int)((Outage + TimeSpan.FromSeconds(30)).TotalSeconds / 2);

    /// <summary>After the database is back: the retries' 30 s cap, a backlog of 45 short tasks, and retried attempts.</summary>
    static readonly TimeSpan Settle = TimeSpan.FromMinutes(5);

    readonly Stopwatch _clock = Stopwatch.StartNew();

    [Fact]
    public async Task PostgreSQL_down_past_the_watchdog_and_the_former_retries_loses_no_task_and_no_output_and_a_service_started_meanwhile_waits_for_it()
    {
        await using var services = await ServiceContainers.StartAsync("fault_postgres_outage");
        await using var stack = await SupervisorStack.StartOnAsync(services, "pg_outage", new Dictionary<string, string>
        {
            ["Supervisor__Agents__shell__Concurrency"] = "4",
            // the shortest allowed: a message waiting for the database must not look wedged to the watchdog
            ["Supervisor__Watchdog__StuckAfter"] = StuckAfter.ToString(),
        }, services: 2, ("shell", 2));
        var first = stack.Services[0];

        // Output throughout the outage: its chunks wait for the database far longer than the watchdog's StuckAfter.
        var ticker = await stack.Api.SubmitAsync(new { prompt = string.Create(CultureInfo.InvariantCulture, $"for i in $(seq 1 {Ticks}); do echo tick $i; sleep 2; done") });
        await stack.Api.WaitForAsync(ticker, TimeSpan.FromSeconds(30), "Running");
        var ids = new List<Guid> { ticker };
        for (var i = 0; i < 40; i++)
            ids.Add(await stack.Api.SubmitAsync(new { prompt = string.Create(CultureInfo.InvariantCulture, $"echo begun; sleep {1 + (i % 4)}; echo ended") }));
        Log("a ticker running and 40 tasks submitted; stopping PostgreSQL");
        await services.Postgres.StopAsync();
        var stopped = DateTime.UtcNow;
        var back = stopped + Outage;
        HostProcess service;
        try
        {
            for (var i = 0; i < 5; i++)
                ids.Add(await stack.Api.SubmitAsync(new { prompt = "sleep 1" })); // 202 with an id, or SubmitAsync throws
            Log("submitted 5 tasks during the outage (202 each)");

            // What needs the database meanwhile says why it cannot answer, and when to ask again.
            using (var shown = await stack.Api.Http.GetAsync($"/api/tasks/{ids[0]}"))
            {
                Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, shown.StatusCode);
                Assert.NotNull(shown.Headers.RetryAfter);
                Assert.Contains("database is unavailable", await shown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            // A process manager restarts a service that died: started while the database is away, it waits for it
            // (the rest of the outage: longer than a service used to wait).
            service = await stack.RestartServiceAsync(stack.Services[1], waitUntilReady: false);
            Log($"second service stopped and started again (pid {service.Pid}) while PostgreSQL is down");
            Assert.True(back - DateTime.UtcNow > FormerStartupWait, "the restarted service would not wait longer than a service used to");

            // Messages (the agents' output among them) have waited longer than StuckAfter: the service is waiting, not wedged.
            await Task.Delay(stopped + FirstServiceAliveFor - DateTime.UtcNow is { Ticks: > 0 } until ? until : TimeSpan.Zero);
            Assert.False(first.HasExited, $"the service exited during the outage:\n{first.RecentOutput}");

            await Task.Delay(back - DateTime.UtcNow is { Ticks: > 0 } left ? left : TimeSpan.Zero);
        }
        finally
        {
            // also when an assertion above failed: the stack cannot be torn down without its database
            await services.Postgres.StartAsync();
        }

        Log($"PostgreSQL started again after {Outage.TotalSeconds:0} s");

        var deadline = DateTime.UtcNow + Settle;
        Dictionary<string, long> states;
        while ((states = await StatesAsync(stack, ids)).Where(s => !ApiClient.Terminal.Contains(s.Key)).Sum(s => s.Value) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline,
                $"not every task terminal {Settle.TotalMinutes} min after the database came back: {Describe(states)}; queues: "
                + string.Join("; ", await stack.Resources.DescribeQueuesAsync()));
            await Task.Delay(1000);
        }

        Log("every task terminal: " + Describe(states));
        Assert.Equal(ids.Count, states.Values.Sum());
        Assert.False(service.HasExited, $"the service started during the outage exited:\n{service.RecentOutput}");
        Assert.False(first.HasExited, $"the service that ran throughout exited:\n{first.RecentOutput}");
        // every instance ready, the one started during the outage among them
        foreach (var url in stack.ServiceUrls)
        {
            using var instance = new ApiClient(url);
            await SupervisorStack.WaitUntilAsync(service, async () => (await instance.Http.GetAsync("/health/ready")).IsSuccessStatusCode);
        }

        // the output whose chunks reached the service while the database was down: all stored. Chunks travel apart from
        // the events that end a task, and after the outage the log endpoint works through its backlog: the last ones may
        // land a while after the task ended, so they are waited for (a chunk lost for good still fails here).
        var stored = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        List<string?> ticks;
        while ((ticks = (await stack.Api.LogsAsync(ticker)).Select(l => l!["text"]?.GetValue<string>()?.Trim())
                   .Where(t => t?.StartsWith("tick", StringComparison.Ordinal) == true).ToList()).Count < Ticks && DateTime.UtcNow < stored)
        {
            await Task.Delay(500);
        }

        Assert.True(ticks.Count == Ticks, $"the ticker's output stored {ticks.Count} of {Ticks} lines");
        foreach (var id in ids.Skip(1).Take(40))
        {
            var lines = (await stack.Api.CompleteLogsAsync(id)).Select(l => l!["text"]?.GetValue<string>()?.Trim()).ToList();
            Assert.True(lines.Contains("begun") && lines.Contains("ended"), $"task {id}: output stored {string.Join(" | ", lines)}");
        }

        var logs = JsonNode.Parse(await stack.Api.Http.GetStringAsync("api/dead-letters?queue=task-logs_error&limit=5"))!.AsArray();
        Assert.True(logs.Count == 0 || logs[0]!["count"]!.GetValue<long>() == 0, "task-logs_error holds messages: " + logs.ToJsonString());
        var errors = JsonNode.Parse(await stack.Api.Http.GetStringAsync("api/dead-letters?queue=task-state_error&limit=5"))!.AsArray();
        Assert.True(errors.Count == 0 || errors[0]!["count"]!.GetValue<long>() == 0, "task-state_error holds messages: " + errors.ToJsonString());
        var scheduler = JsonNode.Parse(await stack.Api.Http.GetStringAsync("api/dead-letters?queue=scheduler_error&limit=5"))!.AsArray();
        Assert.True(scheduler.Count == 0 || scheduler[0]!["count"]!.GetValue<long>() == 0, "scheduler_error holds messages: " + scheduler.ToJsonString());
    }

    /// <summary>The tasks by state, a task that does not exist counted as "missing".</summary>
    static async Task<Dictionary<string, long>> StatesAsync(SupervisorStack stack, List<Guid> ids)
    {
        await using var connection = new NpgsqlConnection(stack.Resources.InspectionPostgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, state FROM tasks WHERE id = ANY(@ids)", connection);
        command.Parameters.AddWithValue("ids", ids.ToArray());
        var found = new Dictionary<Guid, string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                found[reader.GetGuid(0)] = reader.GetString(1);
        }

        return ids.GroupBy(id => found.GetValueOrDefault(id, "missing")).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);
    }

    static string Describe(Dictionary<string, long> states) => string.Join(", ", states.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} {s.Value}"));

    void Log(string message) => output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:0.0}s] {message}");
}
