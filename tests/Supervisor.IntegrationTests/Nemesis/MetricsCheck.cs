using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Nemesis;

/// <summary>
/// <c>GET /metrics</c>'s task figures — <c>supervisor_tasks</c>, <c>supervisor_attempts_total</c>,
/// <c>supervisor_redeliveries_total</c>, <c>supervisor_fallbacks_total</c> — equal a recount of the tasks, attempts and
/// transitions stored (what each family counts: docs/operations.md, "Metrics").
/// </summary>
sealed partial class MetricsCheck(SupervisorStack stack, FleetApi api)
{
    static readonly string[] Families = ["supervisor_tasks", "supervisor_attempts_total", "supervisor_redeliveries_total", "supervisor_fallbacks_total"];

    public async Task<(bool, string)> CheckAsync()
    {
        // Tasks still moving change the figures between a scrape and the recount: compare only a recount that two
        // identical scrapes bracket.
        for (var attempt = 1; ; attempt++)
        {
            var before = await ScrapeAsync();
            var recount = await RecountAsync();
            var after = await ScrapeAsync();
            if (before is null || after is null)
                return (false, "GET /metrics answered no 200");
            if (Same(before, after))
                return Compare(after, recount);
            if (attempt == 10)
                return (false, "the figures kept moving through 10 scrapes (tasks not settled): not compared");
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
    }

    static bool Same(Dictionary<string, double> a, Dictionary<string, double> b) =>
        a.Count == b.Count && a.All(s => b.TryGetValue(s.Key, out var v) && v == s.Value);

    static (bool, string) Compare(Dictionary<string, double> scraped, Dictionary<string, double> recount)
    {
        var differing = scraped.Keys.Union(recount.Keys)
            .Select(k => (Key: k, Scraped: scraped.GetValueOrDefault(k), Recount: recount.GetValueOrDefault(k)))
            .Where(d => Math.Abs(d.Scraped - d.Recount) > 1e-9)
            .OrderBy(d => d.Key, StringComparer.Ordinal)
            .ToList();
        return (differing.Count == 0, $"{scraped.Count} series scraped, {differing.Count} differ from the recount"
            + (differing.Count > 0 ? $" [{string.Join("; ", differing.Select(d => $"{d.Key} /metrics {d.Scraped} recount {d.Recount}"))}]" : ""));
    }

    async Task<Dictionary<string, double>?> ScrapeAsync()
    {
        var (status, text) = await api.GetTextAsync("/metrics");
        return status == 200 ? Parse(text) : null;
    }

    async Task<Dictionary<string, double>> RecountAsync()
    {
        await using var connection = new NpgsqlConnection(stack.Resources.InspectionPostgres);
        await connection.OpenAsync();
        var rows = await Invariants.RowsAsync(connection, """
            SELECT 'supervisor_tasks{state=' || state || '}', count(*)::float8 FROM tasks GROUP BY state
            UNION ALL
            SELECT 'supervisor_attempts_total{agent=' || agent || ',outcome=' || coalesce(error_class, CASE WHEN exit_code = 0 THEN 'succeeded' ELSE 'cancelled' END) || '}', count(*)
            FROM task_attempts WHERE finished_at IS NOT NULL GROUP BY agent, 1
            UNION ALL
            SELECT 'supervisor_redeliveries_total{agent=' || agent || '}', count(*) FROM task_attempts WHERE redelivery > 0 GROUP BY agent
            UNION ALL
            SELECT 'supervisor_fallbacks_total{}', count(*) FROM task_transitions WHERE event = 'RunAgentJobFaulted' AND to_state = 'Dispatched'
            """);
        return rows.ToDictionary(r => r[0], r => double.Parse(r[1], CultureInfo.InvariantCulture));
    }

    /// <summary>The samples of <see cref="Families"/>, keyed <c>family{label=value,…}</c> with the labels in order.</summary>
    static Dictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>();
        foreach (var line in text.Split('\n'))
        {
            var m = Sample().Match(line);
            if (!m.Success || !Families.Contains(m.Groups["family"].Value))
                continue;
            var labels = Label().Matches(m.Groups["labels"].Value).Select(l => $"{l.Groups["name"].Value}={l.Groups["value"].Value}").Order(StringComparer.Ordinal);
            samples[$"{m.Groups["family"].Value}{{{string.Join(",", labels)}}}"] = double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
        }

        // a gauge of zero is the same as no row to count
        return samples.Where(s => !(s.Key.StartsWith("supervisor_tasks{", StringComparison.Ordinal) && s.Value == 0)).ToDictionary();
    }

    [GeneratedRegex(@"^(?<family>[a-z_]+)(\{(?<labels>[^}]*)\})?\s+(?<value>\S+)", RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Sample();

    [GeneratedRegex("(?<name>[a-z_]+)=\"(?<value>[^\"]*)\"", RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Label();
}
