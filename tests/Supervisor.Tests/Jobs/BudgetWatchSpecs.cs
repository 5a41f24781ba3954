using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Rules.Interpretation;
using Supervisor.Tests.Execution;
using Supervisor.Tests.Rules.Interpretation;
using Supervisor.Worker.Containers;
using Supervisor.Worker.Execution;
using Supervisor.Worker.Jobs;
using Xunit.Abstractions;

namespace Supervisor.Tests.Jobs;

public sealed class BudgetWatchSpecs(ITestOutputHelper output)
{
    /// <summary>Feeds claude's real output (Samples/claude-ok) line by line; the watch's verdict after each line.</summary>
    static async Task<List<bool>> FeedAsync(BudgetWatch watch, string sample)
    {
        var exceeded = new List<bool>();
        foreach (var line in Sample.Load(sample).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            await watch.WriteAsync("stdout", line + "\n");
            exceeded.Add(watch.Exceeded.IsCancellationRequested);
        }

        return exceeded;
    }

    [Fact]
    public void Without_a_budget_or_without_usage_in_the_output_there_is_nothing_to_watch()
    {
        var sink = new OutputSink();

        Assert.Null(BudgetWatch.For(null, "claude-json", sink.WriteAsync));
        Assert.Null(BudgetWatch.For(new AttemptBudget(null, null), "claude-json", sink.WriteAsync));
        Assert.Null(BudgetWatch.For(new AttemptBudget(1m, 1000), "copilot-jsonl", sink.WriteAsync));
        Assert.Null(BudgetWatch.For(new AttemptBudget(1m, 1000), OutputInterpreter.Plain, sink.WriteAsync));
    }

    [Fact]
    public async Task Claudes_run_is_ended_by_the_message_that_takes_it_past_the_tokens_left()
    {
        var sink = new OutputSink();
        using var watch = BudgetWatch.For(new AttemptBudget(null, 30_000), "claude-json", sink.WriteAsync)!;

        var exceeded = await FeedAsync(watch, "claude-ok");

        // init, assistant (28 787 tokens), user, assistant (57 688: past 30 000), result.
        Assert.Equal([false, false, false, true, true], exceeded);
        const string because = "budget: the attempt used 57 688 tokens, more than the 30 000 left of the task's maxTokens";
        Assert.Equal(because, watch.ExceededBecause);
        Assert.Equal($"[supervisor: {because}: ending the attempt]\n", sink.Text(OutputCollector.SystemStream));
        // Read on after the overrun: the result's total is what the attempt reports.
        Assert.Equal(new AttemptUsage(57_686, 49, 0.17379299999999998m), watch.Seen);
    }

    [Fact]
    public async Task A_cost_bound_is_held_against_the_cost_claudes_result_states()
    {
        var sink = new OutputSink();
        using var watch = BudgetWatch.For(new AttemptBudget(0.10m, null), "claude-json", sink.WriteAsync)!;

        var exceeded = await FeedAsync(watch, "claude-ok");

        Assert.Equal([false, false, false, false, true], exceeded);
        Assert.Equal("budget: the attempt cost $0.1738, more than the $0.10 left of the task's maxCostUsd", watch.ExceededBecause);
    }

    [Fact]
    public async Task Within_its_budget_the_run_goes_on_and_what_it_spent_is_kept()
    {
        var sink = new OutputSink();
        using var watch = BudgetWatch.For(new AttemptBudget(1m, 100_000), "codex-jsonl", sink.WriteAsync)!;

        var exceeded = await FeedAsync(watch, "codex-ok");

        Assert.DoesNotContain(true, exceeded);
        Assert.Null(watch.ExceededBecause);
        Assert.Equal("", sink.Text(OutputCollector.SystemStream));
        Assert.Equal(new AttemptUsage(19_172, 49, null), watch.Seen);
    }

    [Fact]
    public async Task A_running_agent_that_spends_past_its_budget_is_stopped()
    {
        var sink = new OutputSink();
        using var watch = BudgetWatch.For(new AttemptBudget(null, 5_000), "claude-json", sink.WriteAsync)!;
        var executor = new AttemptExecutor(new ProcessRunner(new TestOutputLogger<ProcessRunner>(output)),
            new ContainerRunner(DockerConnection.FromEnvironment(), "test", new TestOutputLogger<ContainerRunner>(output)));
        // An agent that never ends by itself, spending 1 000 tokens per message.
        const string agent = """
            i=0; while true; do i=$((i+1)); printf '{"type":"assistant","message":{"id":"msg_%d","usage":{"input_tokens":900,"output_tokens":100}}}\n' "$i"; sleep 0.05; done
            """;
        var spec = new ProcessSpec("/bin/sh", ["-c", agent], Path.GetTempPath(), new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" },
            TimeSpan.FromSeconds(60));

        var outcome = await executor.RunAsync(new AgentOptions(), spec, async (stream, text) =>
        {
            await sink.WriteAsync(stream, text);
            await watch.WriteAsync(stream, text);
        }, watch.Exceeded);

        Assert.Equal((true, false), (outcome.Cancelled, outcome.TimedOut));
        // Stopped by the first piece of output that took it past the budget; how many messages that piece held depends on
        // how the pipe delivered them (6 000 when each message comes alone).
        var used = System.Text.RegularExpressions.Regex.Match(watch.ExceededBecause ?? "",
            @"^budget: the attempt used (?<used>[\d ]+) tokens, more than the 5 000 left of the task's maxTokens$",
            System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
        Assert.True(used.Success, watch.ExceededBecause);
        Assert.True(long.Parse(used.Groups["used"].Value.Replace(" ", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture) >= 6_000);
        Assert.True(watch.Seen!.InputTokens >= 5_400, $"seen {watch.Seen}");
    }
}
