using System.Globalization;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Metrics;
using Supervisor.Rules.Limits;
using Supervisor.Service.Fleet;
using Supervisor.Service.Logs;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Metrics;

/// <summary>
/// <c>GET /metrics</c>: read from the running totals that the database's triggers keep (<see cref="IMetricTotals"/>), so
/// every service instance reports the same fleet-wide figures, a restart loses nothing, and a scrape costs the same
/// however long the history.
/// </summary>
public static class MetricsEndpoint
{
    const string AttemptDuration = "supervisor_attempt_duration_seconds";
    const string QueueWait = "supervisor_queue_wait_seconds";

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", async (IMetricTotals totals, AgentCatalog catalog, FleetQueries fleet, BrokerSamples broker,
            IAccountStore accounts, LogFollower followers, TimeProvider clock, CancellationToken cancellationToken) =>
        {
            // The reads do not depend on each other: the database's and the broker's round trips overlap rather than add up.
            var now = clock.GetUtcNow().UtcDateTime;
            var agents = catalog.Agents.Keys.Order(StringComparer.CurrentCulture).ToList();
            var reading = totals.ReadAsync(cancellationToken);
            var durationBounds = totals.BoundsAsync(AttemptDuration, cancellationToken);
            var waitBounds = totals.BoundsAsync(QueueWait, cancellationToken);
            var storedAccounts = accounts.ListAsync(now, cancellationToken);
            var fleetWorkers = fleet.WorkersAsync(cancellationToken);
            var brokerSample = broker.CurrentAsync(cancellationToken);
            await Task.WhenAll(reading, durationBounds, waitBounds, storedAccounts, fleetWorkers, brokerSample);
            var series = await reading;
            IEnumerable<MetricSeries> Of(string family) =>
                series.Where(s => s.Family == family).OrderBy(s => s.Agent, StringComparer.Ordinal).ThenBy(s => s.Label, StringComparer.Ordinal);
            var text = new PrometheusText();

            text.Family("supervisor_tasks", "gauge", "Tasks by state.");
            foreach (var state in TaskStates.All)
                text.Sample("supervisor_tasks", Of("supervisor_tasks").Where(s => s.Label == state).Sum(s => s.Value), ("state", state));

            text.Family("supervisor_attempts_total", "counter", "Finished attempts by agent and outcome (a failure class, or succeeded / cancelled).");
            foreach (var s in Of("supervisor_attempts_total"))
                text.Sample("supervisor_attempts_total", s.Value, ("agent", s.Agent), ("outcome", s.Label));

            text.Family("supervisor_redeliveries_total", "counter", "Attempts that were scheduled redeliveries of an earlier one, by agent.");
            foreach (var s in Of("supervisor_redeliveries_total"))
                text.Sample("supervisor_redeliveries_total", s.Value, ("agent", s.Agent));

            text.Family("supervisor_fallbacks_total", "counter", "Times a task was handed to the next agent of its chain.");
            text.Sample("supervisor_fallbacks_total", Of("supervisor_fallbacks_total").Sum(s => s.Value));

            text.Family(AttemptDuration, "histogram", "Wall-clock time of finished attempts, by agent.");
            Histogram(text, AttemptDuration, await durationBounds, Of(AttemptDuration));

            text.Family(QueueWait, "histogram", "From submit to the start of a task's first attempt (tasks without approval), by agent.");
            Histogram(text, QueueWait, await waitBounds, Of(QueueWait));

            text.Family("supervisor_account_blocks_total", "counter", "Block episodes of each provider account, by the limit's kind (a later signal that extends a block is none).");
            foreach (var s in Of("supervisor_account_blocks_total"))
                text.Sample("supervisor_account_blocks_total", s.Value, ("account", s.Agent), ("kind", s.Label));

            text.Family("supervisor_limit_waits_total", "counter", "Times a task parked on a provider account, by why: limit (cooling, blocked, probing), cap (MaxConcurrent).");
            foreach (var s in Of("supervisor_limit_waits_total"))
                text.Sample("supervisor_limit_waits_total", s.Value, ("account", s.Agent), ("reason", s.Label));

            var stored = await storedAccounts;
            text.Family("supervisor_account_running", "gauge", "Attempts running on each provider account.");
            text.Family("supervisor_account_waiting_tasks", "gauge", "Tasks parked on each provider account.");
            text.Family("supervisor_attempts_started_while_blocked_total", "counter",
                "Attempts that started on a provider account while it was blocked: the limit gate lets none, so this stays 0.");
            foreach (var account in stored)
            {
                text.Sample("supervisor_account_running", account.Running, ("account", account.Id));
                text.Sample("supervisor_account_waiting_tasks", account.Waiting, ("account", account.Id));
                text.Sample("supervisor_attempts_started_while_blocked_total", account.StartedWhileBlocked, ("account", account.Id));
            }

            text.Family("supervisor_account_budget_spent_usd", "gauge",
                "Dollars spent on each provider account in the current budget window (day, month; Supervisor:Limits:BudgetTimeZone).");
            foreach (var account in stored)
            {
                var spend = account.Spend ?? AccountSpend.None;
                text.Sample("supervisor_account_budget_spent_usd", (double)spend.SpentToday, ("account", account.Id), ("window", "day"));
                text.Sample("supervisor_account_budget_spent_usd", (double)spend.SpentMonth, ("account", account.Id), ("window", "month"));
            }

            text.Family("supervisor_account_blocked_until_seconds", "gauge", "When the block of each cooling or blocked provider account ends (Unix seconds).");
            foreach (var account in stored)
            {
                if (account.Status is { BlockedUntil: { } until, Kind: { } kind } status && status.InForceAt(now))
                {
                    text.Sample("supervisor_account_blocked_until_seconds", new DateTimeOffset(until).ToUnixTimeSeconds(), ("account", account.Id),
                        ("state", LimitNames.Of(status.State)), ("kind", LimitNames.Of(kind)));
                }
            }

            var workers = await fleetWorkers;
            var sample = await brokerSample;
            text.Family("supervisor_workers", "gauge", "Workers by agent they serve and status (live, lost).");
            text.Family("supervisor_queue_depth", "gauge", "Jobs waiting in each agent's queue.");
            foreach (var agent in agents)
            {
                var serving = workers.Where(w => w.Agents.Contains(agent, StringComparer.OrdinalIgnoreCase) && !w.Stopping).ToList();
                text.Sample("supervisor_workers", serving.Count(w => !w.Lost), ("agent", agent), ("status", "live"));
                text.Sample("supervisor_workers", serving.Count(w => w.Lost), ("agent", agent), ("status", "lost"));
                if (sample.Depths.GetValueOrDefault(agent) is { } depth)
                    text.Sample("supervisor_queue_depth", depth, ("agent", agent));
            }

            text.Family("supervisor_log_followers", "gauge", "Task outputs this instance streams now (GET /api/tasks/{id}/logs?follow=true), at most Supervisor:Api:MaxLogFollowers.");
            text.Sample("supervisor_log_followers", followers.Following);

            // Only the queues that exist: the broker makes an error queue when the first message fails for good.
            text.Family("supervisor_dead_letters", "gauge", "Messages waiting in each error (_error) or skipped (_skipped) queue.");
            // The broker is away: no sample, rather than a zero that would read as "nothing dead-lettered".
            foreach (var (queue, count) in sample.DeadLetters ?? [])
                text.Sample("supervisor_dead_letters", count, ("queue", queue));

            text.Family("supervisor_broker_sample_age_seconds", "gauge",
                "How old this scrape's broker figures (queue depths, dead letters) are: sampled every Supervisor:Metrics:BrokerSampleInterval while scraped.");
            // From the scrape's start: a sample read for this scrape is 0 old.
            text.Sample("supervisor_broker_sample_age_seconds", Math.Max(0, (now - sample.TakenAt.UtcDateTime).TotalSeconds));

            return Results.Text(text.ToString(), "text/plain; version=0.0.4; charset=utf-8");
        })
            .WithTags("Operations")
            .WithName("GetMetrics")
            .WithSummary("Fleet-wide totals in the Prometheus text format")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");
        return app;
    }

    /// <summary>
    /// The totals hold, per agent, a count for each bucket an observation fell in (labelled with the bucket's upper
    /// bound, or +Inf) and the observations' sum; Prometheus wants the counts cumulative.
    /// </summary>
    static void Histogram(PrometheusText text, string name, double[] bounds, IEnumerable<MetricSeries> series)
    {
        foreach (var agent in series.GroupBy(s => s.Agent, StringComparer.Ordinal))
        {
            var buckets = agent.Where(s => s.Label != "sum").ToList();
            var cumulative = bounds.Select(b => (long)buckets.Where(s => s.Label != "+Inf" && double.Parse(s.Label, CultureInfo.InvariantCulture) <= b)
                .Sum(s => s.Value)).ToList();
            text.Histogram(name, bounds, cumulative, agent.Where(s => s.Label == "sum").Sum(s => s.Value), (long)buckets.Sum(s => s.Value),
                ("agent", agent.Key));
        }
    }
}
