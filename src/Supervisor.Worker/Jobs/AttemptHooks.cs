using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Supervisor.Contracts;
using Supervisor.Settings;
using Supervisor.Worker.Attempts;
using Supervisor.Worker.Execution;

namespace Supervisor.Worker.Jobs;

/// <summary><c>Supervisor:Hooks</c>: executables run around every attempt, given the task and attempt as JSON on stdin.</summary>
public sealed class HookOptions : Supervisor.Settings.IValidatedOptions
{
    public const string Section = "Supervisor:Hooks";

    /// <summary>Runs before the agent; a non-zero exit vetoes the attempt and makes the task Invalid (its output says why).</summary>
    public string? PreAttempt { get; set; }

    /// <summary>Runs after the attempt with its outcome; its failure is logged and changes nothing.</summary>
    public string? PostAttempt { get; set; }

    /// <summary>How long a hook may run before it is killed (and counts as failed).</summary>
    [FormerlyNamed("TimeoutSeconds", "a duration such as 30s")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public IReadOnlyList<string> Validate() => Timeout > TimeSpan.Zero ? [] : [$"{Section}:Timeout: must be positive."];
}

public sealed record HookResult(bool Succeeded, string Message);

public sealed partial class AttemptHooks(IOptions<HookOptions> options, CommandRunner runner, ILogger<AttemptHooks> logger)
{
    public bool HasPreAttempt => !string.IsNullOrWhiteSpace(options.Value.PreAttempt);

    public bool HasPostAttempt => !string.IsNullOrWhiteSpace(options.Value.PostAttempt);

    public Task<HookResult> PreAttemptAsync(object payload, string workspace, CancellationToken cancellationToken) =>
        RunAsync("pre-attempt", options.Value.PreAttempt!, payload, workspace, cancellationToken);

    public async Task PostAttemptAsync(object payload, string workspace, CancellationToken cancellationToken)
    {
        var result = await RunAsync("post-attempt", options.Value.PostAttempt!, payload, workspace, cancellationToken);
        if (!result.Succeeded)
            LogPostAttemptFailed(result.Message);
    }

    async Task<HookResult> RunAsync(string kind, string command, object payload, string workspace, CancellationToken cancellationToken)
    {
        var output = new StringBuilder();
        var environment = AgentEnvironment.WorkerBasics();
        environment["SUPERVISOR_HOOK"] = kind;
        var spec = new ProcessSpec(command, [kind], workspace, environment, options.Value.Timeout,
            JsonSerializer.Serialize(payload, JsonSerializerOptions.Web));
        var outcome = await runner.RunAsync(spec, (_, text) =>
        {
            lock (output)
            {
                if (output.Length < 16 * 1024)
                    output.Append(text);
            }

            return ValueTask.CompletedTask;
        }, cancellationToken);

        var said = output.ToString().Trim().Split('\n').LastOrDefault()?.Trim();
        var what = outcome.StartError ?? (outcome.TimedOut ? $"timed out after {options.Value.Timeout.TotalSeconds:0.###}s" : $"exited with code {outcome.ExitCode}");
        return outcome is { ExitCode: 0, TimedOut: false, StartError: null }
            ? new HookResult(true, said ?? "")
            : new HookResult(false, $"the {kind} hook {what}" + (string.IsNullOrEmpty(said) ? "" : $": {said}"));
    }

    /// <summary>What a hook reads on stdin.</summary>
    public static object Payload(string hook, RunAgentJob job, Guid attemptId, int attempt, int redelivery, string worker, string workspace, string? branch,
        object? outcome = null) => new
        {
            hook,
            task = new { id = job.TaskId, job.Prompt, job.Agent, job.Pass, job.Repository, job.Verify, job.ExpectChanges },
            attempt = new { id = attemptId, number = attempt, redelivery, worker, workspace, branch },
            outcome,
        };

    [LoggerMessage(LogLevel.Warning, "Post-attempt hook failed: {Message}")]
    partial void LogPostAttemptFailed(string message);
}
