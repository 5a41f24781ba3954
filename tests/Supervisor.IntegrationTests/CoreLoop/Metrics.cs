using System.Globalization;
using System.Text.RegularExpressions;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.CoreLoop;

[Collection(CoreLoopCollection.Name)]
public sealed partial class Metrics(CoreLoopFixture fixture)
{
    readonly ApiClient _api = fixture.Stack.Api;

    [Fact]
    public async Task Metrics_are_valid_prometheus_text_with_tasks_attempts_durations_and_workers()
    {
        var id = await _api.SubmitAsync(new { prompt = "sleep 0.2" });
        await _api.WaitForAsync(id, TimeSpan.FromSeconds(60));
        // With two service instances the start of an attempt may be recorded after its end (a cold instance takes seconds).
        for (var i = 0; i < 200 && (await _api.GetAsync(id))["attempts"]![0]!["startedAt"] is null; i++)
            await Task.Delay(100);

        using var response = await _api.Http.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var samples = new Dictionary<string, double>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#'))
            {
                Assert.Matches(@"^# (HELP|TYPE) supervisor_[a-z_]+ .+$", line);
                continue;
            }

            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a Prometheus sample: {line}");
            samples[match.Groups["series"].Value] = double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        }

        Assert.True(samples["supervisor_tasks{state=\"Succeeded\"}"] >= 1);
        Assert.True(samples["supervisor_attempts_total{agent=\"shell\",outcome=\"succeeded\"}"] >= 1);
        Assert.True(samples["supervisor_attempt_duration_seconds_count{agent=\"shell\"}"] >= 1);
        Assert.True(samples["supervisor_attempt_duration_seconds_bucket{agent=\"shell\",le=\"0.1\"}"]
            <= samples["supervisor_attempt_duration_seconds_bucket{agent=\"shell\",le=\"+Inf\"}"]);
        Assert.True(samples["supervisor_queue_wait_seconds_count{agent=\"shell\"}"] >= 1);
        Assert.Equal(2, samples["supervisor_workers{agent=\"shell\",status=\"live\"}"]);
        Assert.True(samples.ContainsKey("supervisor_queue_depth{agent=\"shell\"}"));
        Assert.True(samples.ContainsKey("supervisor_fallbacks_total"));
    }

    [GeneratedRegex(@"^(?<series>supervisor_[a-z_]+(?:\{[a-z_]+=""[^""]*""(?:,[a-z_]+=""[^""]*"")*\})?) (?<value>[-+0-9.eE]+|\+Inf)$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex SampleLine();
}
