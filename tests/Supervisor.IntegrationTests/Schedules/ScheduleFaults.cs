using System.Globalization;
using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Schedules;

/// <summary>
/// Exactly once under faults: service instances killed while a schedule fires, and a service down across several fires,
/// the first on a stack of its own, the two down-across-fires tests on one outage of a stack they share.
/// </summary>
public sealed class ScheduleFaults
{
    static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);

    /// <summary>The period of the down-across-three-fires schedules, in seconds.</summary>
    const int Every = 20;

    [Fact]
    public async Task Two_service_instances_make_exactly_one_task_per_fire_also_when_one_is_killed()
    {
        await using var stack = await SupervisorStack.StartAsync("schedules_two", new Dictionary<string, string>
        {
            ["Supervisor__Reconciler__Interval"] = "1s",
        }, services: 2, ("shell", 2));
        var id = (await stack.Api.CreateScheduleAsync(new { every = "2s", overlap = "allow", template = new { prompt = "true", agent = "shell" } }))["id"]!.GetValue<Guid>();

        await Task.Delay(TimeSpan.FromSeconds(10));
        await stack.Services[0].KillAsync();
        await Task.Delay(TimeSpan.FromSeconds(14));
        using var survivor = await AnsweringAsync(stack.ServiceUrls);
        Assert.Equal(200, (await survivor.ScheduleCommandAsync(id, "pause")).Status);
        var tasks = await survivor.SettledTasksAsync(id, Settle);

        var times = tasks.Select(SchedulesApi.ScheduledFor).Order().ToList();
        Assert.Equal(times.Count, times.Distinct().Count());
        Assert.True(times.Count >= 10, $"{times.Count} fires in 24 s");
        for (var i = 1; i < times.Count; i++)
            Assert.True(times[i] - times[i - 1] == TimeSpan.FromSeconds(2), $"fires at {times[i - 1]:O} and then {times[i]:O}: one missing");
        Assert.All(tasks, t => Assert.Equal("Succeeded", t["state"]!.GetValue<string>()));
    }

    /// <summary>
    /// Fires every 20 s with a catch-up window of 18 s: with the service down from just after one fire to half a second
    /// after the third fire since, the first two are missed for good and the third is made up for once it is back.
    /// </summary>
    [Fact]
    public async Task The_service_down_across_three_fires_with_a_catch_up_window_of_one_fire_makes_one()
    {
        var (firstFire, times, schedule) = (await DownAcrossThreeFiresAsync()).WindowOfOneFire;

        Assert.Equal([firstFire, firstFire.AddSeconds(3 * Every), firstFire.AddSeconds(4 * Every)], times.Take(3));
        Assert.Equal(2, schedule["counts"]!["missedCatchUpWindow"]!.GetValue<long>());
        // Made up for once the service was back: a catch-up fire, or on time if decided within the 5 s grace.
        var madeUp = schedule["recentFires"]!.AsArray().Single(f => f!["scheduledFor"]!.GetValue<DateTime>().ToUniversalTime() == firstFire.AddSeconds(3 * Every))!;
        var late = madeUp["decidedAt"]!.GetValue<DateTime>().ToUniversalTime() - firstFire.AddSeconds(3 * Every);
        Assert.Equal(late > TimeSpan.FromSeconds(5) ? "catchUp" : "scheduled", madeUp["kind"]!.GetValue<string>());
    }

    /// <summary>The same outage with a window holding all three missed fires and <c>catchUp: latest</c>: one task for them all.</summary>
    [Fact]
    public async Task The_service_down_across_three_fires_with_catch_up_latest_makes_one_task_for_all_of_them()
    {
        var (firstFire, times, schedule) = (await DownAcrossThreeFiresAsync()).Latest;

        Assert.Equal([firstFire, firstFire.AddSeconds(3 * Every), firstFire.AddSeconds(4 * Every)], times.Take(3));
        Assert.Equal((2L, 0L), (schedule["counts"]!["coalesced"]!.GetValue<long>(), schedule["counts"]!["missedCatchUpWindow"]!.GetValue<long>()));
    }

    /// <summary>What one schedule saw of the outage: its first fire, the occurrences of the tasks it made, and the schedule.</summary>
    sealed record Outcome(DateTime FirstFire, List<DateTime> Times, JsonNode Schedule);

    static readonly SemaphoreSlim DownAcrossThreeFiresOnce = new(1, 1);
    static (Outcome WindowOfOneFire, Outcome Latest)? _downAcrossThreeFires;

    /// <summary>
    /// The two schedules above live through the same outage, on one stack (the outage is the slow part: about a minute):
    /// the first test to ask runs it, the other reads what it saw.
    /// </summary>
    static async Task<(Outcome WindowOfOneFire, Outcome Latest)> DownAcrossThreeFiresAsync()
    {
        await DownAcrossThreeFiresOnce.WaitAsync();
        try
        {
            return _downAcrossThreeFires ??= await RunDownAcrossThreeFiresAsync();
        }
        finally
        {
            DownAcrossThreeFiresOnce.Release();
        }
    }

    /// <summary>
    /// Every-20-seconds schedules, anchored on the same startAt so that they fire at the same instants, whose service is
    /// killed just after their first fire and started again half a second after the third fire since.
    /// </summary>
    static async Task<(Outcome WindowOfOneFire, Outcome Latest)> RunDownAcrossThreeFiresAsync()
    {
        // The sweep that catches up overdue schedules looks every Reconciler:Interval: at 1 s, the fire made up for is
        // decided by a restarted service's first look, inside the 18 s window even on a busy machine (a 12 s window was
        // once missed on a clean clone: the restarted service took longer than that to look).
        await using var stack = await SupervisorStack.StartAsync("schedules_down", new Dictionary<string, string>
        {
            ["Supervisor__Reconciler__Interval"] = "1s",
        }, services: 1, ("shell", 1));
        var api = stack.Api;
        var now = DateTime.UtcNow;
        var startAt = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc).AddSeconds(5)
            .ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var window = (await api.CreateScheduleAsync(new { every = $"{Every}s", startAt, overlap = "allow", catchUpWindow = $"{Every - 2}s", catchUp = "each", template = new { prompt = "true", agent = "shell" } }))["id"]!
            .GetValue<Guid>();
        var latest = (await api.CreateScheduleAsync(new { every = $"{Every}s", startAt, overlap = "allow", catchUpWindow = "5m", catchUp = "latest", template = new { prompt = "true", agent = "shell" } }))["id"]!
            .GetValue<Guid>();
        var firstFire = await FirstFireAsync(api, window);
        Assert.Equal(firstFire, await FirstFireAsync(api, latest));

        await stack.Services[0].KillAsync();
        var wait = firstFire + TimeSpan.FromSeconds(3 * Every + 0.5) - DateTime.UtcNow;
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait);
        await stack.RestartServiceAsync(stack.Services[0]);
        foreach (var id in new[] { window, latest })
        {
            await WaitUntilAsync(async () => (await api.ScheduleTasksAsync(id)).Select(SchedulesApi.ScheduledFor).Any(at => at >= firstFire.AddSeconds(4 * Every)), 60);
            await api.ScheduleCommandAsync(id, "pause");
        }

        async Task<Outcome> OutcomeAsync(Guid id) =>
            new(firstFire, (await api.SettledTasksAsync(id, Settle)).Select(SchedulesApi.ScheduledFor).Order().ToList(), await api.GetScheduleAsync(id));
        return (await OutcomeAsync(window), await OutcomeAsync(latest));
    }

    /// <summary>A client of the first of <paramref name="urls"/> whose service is ready.</summary>
    static async Task<ApiClient> AnsweringAsync(IEnumerable<Uri> urls)
    {
        foreach (var url in urls)
        {
            var api = new ApiClient(url);
            try
            {
                if ((await api.Http.GetAsync("/health/ready")).IsSuccessStatusCode)
                    return api;
            }
            catch (HttpRequestException)
            {
            }

            api.Dispose();
        }

        throw new InvalidOperationException("no service instance answers");
    }

    static async Task<DateTime> FirstFireAsync(ApiClient api, Guid id)
    {
        DateTime? first = null;
        await WaitUntilAsync(async () =>
        {
            var tasks = await api.ScheduleTasksAsync(id);
            first = tasks.Count > 0 ? tasks.Select(SchedulesApi.ScheduledFor).Min() : null;
            return first is not null;
        }, 30);
        return first!.Value;
    }

    static async Task WaitUntilAsync(Func<Task<bool>> condition, int seconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"condition not reached within {seconds} s");
            await Task.Delay(250);
        }
    }
}
