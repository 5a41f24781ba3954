using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Rules.Interpretation;
using Supervisor.Rules.Limits;
using Supervisor.Tests.Execution;
using Supervisor.Tests.Rules.Limits;
using Supervisor.Worker.Containers;
using Supervisor.Worker.Execution;
using Supervisor.Worker.Jobs;
using Xunit.Abstractions;

namespace Supervisor.Tests.Rules.Interpretation;

public sealed class RetryWatchSpecs(ITestOutputHelper output)
{
    // What codex prints for ever when its endpoint refuses connections.
    const string Reconnecting = """{"type":"error","message":"Reconnecting... waiting for network (Connection failed: error sending request)"}""";

    [Fact]
    public async Task Retries_beyond_the_profiles_limit_end_the_attempt_as_a_killed_run_that_is_retryable()
    {
        var sink = new OutputSink();
        var watch = new RetryWatch("codex-jsonl", sink.WriteAsync, giveUpAfter: 2);
        var executor = new AttemptExecutor(new ProcessRunner(new TestOutputLogger<ProcessRunner>(output)),
            new ContainerRunner(DockerConnection.FromEnvironment(), "test", new TestOutputLogger<ContainerRunner>(output)));
        var spec = new ProcessSpec("/bin/sh", ["-c", $"while true; do echo '{Reconnecting}'; sleep 0.1; done"], Path.GetTempPath(),
            new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" }, TimeSpan.FromSeconds(30));

        var outcome = await executor.RunAsync(new AgentOptions(), spec, watch.WriteAsync, CancellationToken.None);

        Assert.Equal((null, false, 9), (outcome.ExitCode, outcome.TimedOut, outcome.Signal));
        Assert.True(outcome.Duration < TimeSpan.FromSeconds(10), $"took {outcome.Duration}");
        Assert.Equal(3, watch.Retries);
        Assert.Contains("more than the profile's GiveUpAfterOwnRetries (2): ending the attempt", sink.Text(RetryWatch.SystemStream));
        var report = OutputInterpreter.Interpret("codex-jsonl", outcome, sink.Text("stdout"), "");
        Assert.Equal(ErrorClasses.Retryable, report!.ErrorClass);
        Assert.Contains("waiting for network", report.Message);
    }

    [Fact]
    public async Task Without_a_limit_the_retries_are_only_recorded()
    {
        var sink = new OutputSink();
        var watch = new RetryWatch("codex-jsonl", sink.WriteAsync);
        var signs = new List<string>();
        watch.SignOfLife += signs.Add;

        for (var i = 0; i < 5; i++)
            await watch.WriteAsync("stdout", Reconnecting + "\n");

        Assert.Equal(5, watch.Retries);
        Assert.Equal(5, signs.Count);
        Assert.Equal(string.Concat(Enumerable.Repeat(Reconnecting + "\n", 5)), sink.Text("stdout"));
    }

    [Fact]
    public async Task Plain_output_passes_through_without_retry_notices()
    {
        var sink = new OutputSink();
        var watch = new RetryWatch(OutputInterpreter.Plain, sink.WriteAsync, giveUpAfter: 1);

        await watch.WriteAsync("stdout", Reconnecting + "\n" + Reconnecting + "\n");

        Assert.Equal(0, watch.Retries);
        Assert.Equal("", sink.Text(RetryWatch.SystemStream));
    }

    [Fact]
    public async Task A_limit_in_the_live_output_is_raised_at_once_and_the_output_is_unchanged()
    {
        var sink = new OutputSink();
        var now = new DateTime(2026, 12, 5, 11, 51, 0, DateTimeKind.Utc);
        var watch = new RetryWatch("claude-json", sink.WriteAsync, time: new FixedTime(now, TimeZoneInfo.Utc));
        var seen = new List<LimitSignal>();
        watch.LimitSeen += seen.Add;
        const string retry = """{"type":"system","subtype":"api_retry","attempt":1,"max_retries":1,"retry_delay_ms":20000,"error_status":429,"error":"rate_limit"}""";

        // Split mid-line, as a pipe delivers it: nothing is raised before the line is whole.
        await watch.WriteAsync("stdout", retry[..40]);
        Assert.Empty(seen);
        await watch.WriteAsync("stdout", retry[40..] + "\n");

        var limit = Assert.Single(seen);
        Assert.Equal((LimitKind.RateLimit, TimeSpan.FromSeconds(20)), (limit.Kind, limit.ResetIn));
        Assert.Equal(retry + "\n", sink.Text("stdout"));
        Assert.Equal(1, watch.Retries);
    }

    [Fact]
    public async Task A_plain_profile_gets_the_generic_reading_of_each_line()
    {
        var sink = new OutputSink();
        var watch = new RetryWatch(OutputInterpreter.Plain, sink.WriteAsync);
        var seen = new List<LimitSignal>();
        watch.LimitSeen += seen.Add;

        await watch.WriteAsync("stderr", "HTTP/1.1 429 Too Many Requests\nretry-after: 30\nThe rate limit resets every hour.\n");

        var limit = Assert.Single(seen);
        Assert.Equal((LimitKind.RateLimit, TimeSpan.FromSeconds(30)), (limit.Kind, limit.ResetIn));
        Assert.Equal("", sink.Text(RetryWatch.SystemStream));
    }
}
