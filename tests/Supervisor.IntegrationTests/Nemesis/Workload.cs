using System.Collections.Concurrent;
using System.Globalization;

namespace Supervisor.IntegrationTests.Nemesis;

/// <summary>
/// One task of the workload and what the operator does to it, all drawn from the seed: its id (submitted by the
/// client, so a submit is retried without duplicating), its agents and prompt (TestAgents/nemesis-agent.sh), when it is
/// submitted, and whether it is cancelled, or paused then resumed, how long after. A <c>failfirst</c> task fails its
/// first run and is retried once seen <c>Failed</c>. A <c>boxed</c> task runs in a container first (agent <c>boxed</c>),
/// falling back to <c>steady</c>. A task with a <see cref="Delay"/> is submitted with a runAt that far ahead.
/// </summary>
sealed record PlannedTask(Guid Id, string Kind, string Prompt, string[] Agents, TimeSpan SubmitAt, TimeSpan? CancelAfter,
    TimeSpan? PauseAfter, TimeSpan ResumeAfter, TimeSpan? Delay);

/// <summary>Submits the planned tasks at their times over the <see cref="FleetApi"/> and acts on them as planned, whatever the faults do to the API.</summary>
sealed class Workload(FleetApi api, Timeline timeline, CampaignProfile profile, IReadOnlyList<PlannedTask> tasks)
{
    /// <summary>A submit, cancel, pause or resume no instance accepted is tried again for this long: past any outage.</summary>
    readonly TimeSpan _persistence = TimeSpan.FromSeconds(60) + (profile.PostgresOutage > TimeSpan.FromSeconds(60) ? profile.PostgresOutage : TimeSpan.FromSeconds(60));

    public IReadOnlyList<PlannedTask> Tasks => tasks;

    /// <summary>Tasks the API accepted (202), with the time of the answer.</summary>
    public ConcurrentDictionary<Guid, DateTime> Accepted { get; } = new();

    /// <summary>Cancels the API acknowledged (202, state Cancelled), with the time the answer arrived.</summary>
    public ConcurrentDictionary<Guid, DateTime> CancelAcks { get; } = new();

    /// <summary>What the operator could not get through (not a verdict on the system: the API may be down during a fault).</summary>
    public ConcurrentQueue<string> Unanswered { get; } = new();

    public ConcurrentDictionary<string, int> Actions { get; } = new();

    public static IReadOnlyList<PlannedTask> Plan(Random random, CampaignProfile profile)
    {
        var window = profile.FaultPhase.TotalSeconds * 0.6;
        var tasks = new List<PlannedTask>();
        for (var i = 0; i < profile.Tasks; i++)
        {
            var bytes = new byte[16];
            random.NextBytes(bytes);
            bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
            bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
            var draw = random.NextDouble();
            var (kind, seconds, agents) = draw switch
            {
                < 0.37 => ("run", Between(random, 0.2, 3), new[] { "steady" }),
                < 0.45 => ("boxed", random.Next(1, 4), ["boxed", "steady"]),
                < 0.60 => ("run", Between(random, 15, 40), ["steady"]),
                < 0.75 => ("run", Between(random, 0.3, 2), ["doomed", "steady"]),
                < 0.85 => ("failfirst", Between(random, 0.2, 1.5), ["steady"]),
                _ => ("flaky", Between(random, 0.3, 2), ["steady"]),
            };
            var act = random.NextDouble();
            TimeSpan? cancel = act < 0.12 ? TimeSpan.FromSeconds(Between(random, 0, seconds > 10 ? 30 : 5)) : null;
            TimeSpan? pause = act is >= 0.12 and < 0.20 ? TimeSpan.FromSeconds(Between(random, 0, 15)) : null;
            var resume = TimeSpan.FromSeconds(Between(random, 2, 20));
            // a boxed task's agent runs its prompt with sh -c in a container (the workers' "boxed"); the others' is nemesis-agent.sh's "KIND SECONDS"
            var prompt = kind == "boxed"
                ? string.Create(CultureInfo.InvariantCulture, $"sleep {seconds:0}; echo done")
                : string.Create(CultureInfo.InvariantCulture, $"{kind} {seconds:0.00}");
            // ~10 % of the plain and flaky tasks are delayed by 2-25 s; drawn from the id's bytes, so that the seed's other draws stay as they were
            TimeSpan? delay = bytes[0] < 26 && kind is "run" or "flaky" ? TimeSpan.FromSeconds(2 + (bytes[1] % 24)) : null;
            tasks.Add(new PlannedTask(new Guid(bytes), kind, prompt, agents,
                TimeSpan.FromSeconds(Between(random, 0, window)), cancel, pause, resume, delay));
        }

        return [.. tasks.OrderBy(t => t.SubmitAt)];
    }

    static double Between(Random random, double min, double max) => min + (random.NextDouble() * (max - min));

    /// <summary>
    /// Runs every task's script, its times counted from <paramref name="origin"/>; completes when each has been submitted
    /// and acted on (or given up on). Failed <c>failfirst</c> tasks are looked for until <paramref name="retryUntil"/>.
    /// </summary>
    public Task RunAsync(DateTime origin, DateTime retryUntil) => Task.WhenAll(tasks.Select(t => RunTaskAsync(t, origin, retryUntil)));

    async Task RunTaskAsync(PlannedTask task, DateTime origin, DateTime retryUntil)
    {
        var wait = origin + task.SubmitAt - DateTime.UtcNow;
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait);
        var labels = new Dictionary<string, string> { ["nemesis"] = task.Kind };
        // a delayed task's runAt is reckoned at each try: one retried past its time would be refused as in the past
        object Body() => task.Delay is { } delay
            ? new { id = task.Id, prompt = task.Prompt, agents = task.Agents, labels, runAt = (DateTime.UtcNow + delay).ToString("O", CultureInfo.InvariantCulture) }
            : new { id = task.Id, prompt = task.Prompt, agents = task.Agents, labels };
        if (!await PersistAsync("submit", task.Id, async () => (await api.SubmitAsync(Body())).Accepted))
            return;
        Accepted[task.Id] = DateTime.UtcNow;

        if (task.CancelAfter is { } cancelAfter)
        {
            await Task.Delay(cancelAfter);
            await PersistAsync("cancel", task.Id, async () =>
            {
                // Acknowledged: Cancelled, and its worker confirmed that no agent of it runs or will start.
                var (status, state, stopped) = await api.CommandAsync(task.Id, "cancel");
                if (status == 202 && state == "Cancelled" && stopped)
                    CancelAcks[task.Id] = DateTime.UtcNow;
                return status is > 0 and < 500;
            });
        }
        else if (task.PauseAfter is { } pauseAfter)
        {
            await Task.Delay(pauseAfter);
            await PersistAsync("pause", task.Id, async () =>
            {
                var (status, state, _) = await api.CommandAsync(task.Id, "pause");
                timeline.Log($"operator: pause {task.Id}: {status} {state}");
                return status is > 0 and < 500;
            });
            await Task.Delay(task.ResumeAfter);
            await ResumeWhilePausedAsync(task, retryUntil);
        }

        if (task.Kind == "failfirst")
            await RetryOnceFailedAsync(task, retryUntil);
    }

    /// <summary>
    /// Resumes the task for as long as it shows Paused: a pause whose answer the client never got (a timeout while the
    /// broker was away) may still be carried out later, after a resume; the operator resumes what it sees paused.
    /// </summary>
    async Task ResumeWhilePausedAsync(PlannedTask task, DateTime until)
    {
        // settled once seen other than Paused three times in a row, 3 s apart
        for (var notPaused = 0; notPaused < 3 && DateTime.UtcNow < until; await Task.Delay(TimeSpan.FromSeconds(3)))
        {
            var state = (await api.GetAsync(task.Id))?["state"]?.GetValue<string>();
            if (state is null)
                continue;
            if (state != "Paused")
            {
                notPaused++;
                continue;
            }

            notPaused = 0;
            await PersistAsync("resume", task.Id, async () =>
            {
                var (status, state, _) = await api.CommandAsync(task.Id, "resume");
                timeline.Log($"operator: resume {task.Id}: {status} {state}");
                return status is > 0 and < 500;
            });
        }
    }

    async Task RetryOnceFailedAsync(PlannedTask task, DateTime until)
    {
        await Task.Delay(TimeSpan.FromSeconds(5));
        while (DateTime.UtcNow < until)
        {
            var state = (await api.GetAsync(task.Id))?["state"]?.GetValue<string>();
            if (state is "Succeeded" or "Cancelled" or "Rejected")
                return;
            if (state == "Failed")
            {
                await PersistAsync("retry", task.Id, async () => (await api.CommandAsync(task.Id, "retry")).Status is > 0 and < 500);
                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(3));
        }
    }

    async Task<bool> PersistAsync(string action, Guid id, Func<Task<bool>> attempt)
    {
        var giveUp = DateTime.UtcNow + _persistence;
        while (true)
        {
            if (await attempt())
            {
                Actions.AddOrUpdate(action, 1, (_, n) => n + 1);
                return true;
            }

            if (DateTime.UtcNow >= giveUp)
            {
                Unanswered.Enqueue($"{action} {id}");
                timeline.Log($"operator: {action} of {id} not answered for {_persistence.TotalSeconds:0} s, given up");
                return false;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }
}
