using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Controls;

/// <summary>
/// One service with an approval policy (high risk waits, 4 s approval timeout) and two shell workers that beat every
/// second, with a secret in the agent's environment, a pre-attempt hook that vetoes prompts containing "forbidden" and
/// takes 6 s over prompts containing "slowhook",
/// and repositories allowed only under the temporary directory. <c>costly</c> runs its prompt as a Claude Code JSON agent (the
/// prompt prints the result and its cost), <c>spill</c> is a metered spill-only agent and <c>after</c> a plain one (each
/// with <c>WHO</c> set to its name); one worker serves those three.
/// </summary>
public sealed class ControlsFixture : IAsyncLifetime
{
    public const string Secret = "abcd-SECRET-value-9876";

    internal SupervisorStack Stack { get; private set; } = null!;

    public string State { get; } = TestEnvironment.SharedDirectory("supervisor-controls-");

    /// <summary>The service's cap on log followers (<c>Supervisor:Api:MaxLogFollowers</c>).</summary>
    public const int MaxLogFollowers = 12;

    public async Task InitializeAsync()
    {
        var hook = Path.Combine(State, "pre-attempt.sh");
        await File.WriteAllTextAsync(hook, """
            #!/bin/sh
            input=$(cat)
            case "$input" in *forbidden*) echo "policy: prompts may not contain the word forbidden" >&2; exit 3 ;; esac
            case "$input" in *slowhook*) printf '%s\n' "$input" >> "$(dirname "$0")/slow-hooks.jsonl"; sleep 6 ;; esac
            printf '%s\n' "$input" >> "$(dirname "$0")/hook-inputs.jsonl"
            """);
        await CliWrap.Cli.Wrap("chmod").WithArguments(["+x", hook]).ExecuteAsync();

        Stack = await SupervisorStack.StartAsync("controls", new Dictionary<string, string>
        {
            ["Supervisor__Policy__ApprovalRequiredFor__0"] = "high",
            ["Supervisor__Policy__ApprovalTimeout"] = "00:00:04",
            ["Supervisor__Agents__shell__Retry__Intervals__0"] = "00:00:00.2",
            ["Supervisor__Agents__shell__Retry__Intervals__1"] = "00:00:00.2",
            ["Supervisor__Agents__shell__Retry__RateLimitIntervals__0"] = "00:00:03",
            ["Supervisor__Agents__shell__Retry__Jitter"] = "0",
            ["Supervisor__Agents__shell__Env__DEMO_API_KEY"] = Secret,
            ["Supervisor__Worker__HeartbeatInterval"] = "1s",
            ["Supervisor__Fleet__LostAfter"] = "00:00:04",
            ["Supervisor__Hooks__PreAttempt"] = hook,
            ["Supervisor__Api__AllowedRepositoryRoots__0"] = Path.GetTempPath(),
            ["Supervisor__Api__MaxLogFollowers"] = MaxLogFollowers.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }.Concat(ShellAgents.Profile("costly", "{prompt}", ("OutputFormat", "claude-json"), ("Retry__Intervals__0", "00:00:00.2"), ("Retry__Intervals__1", "00:00:00.2"),
                ("Retry__Intervals__2", "00:00:00.2"), ("Retry__Jitter", "0")))
            .Concat(ShellAgents.Profile("spill", "{prompt}", ("Env__WHO", "spill"), ("Limits__SpillOnly", "true"), ("Limits__Billing", "Metered")))
            .Concat(ShellAgents.Profile("after", "{prompt}", ("Env__WHO", "after")))
            .ToDictionary(), services: 1, ("shell", 2), ("costly,spill,after", 1));
    }

    public async Task DisposeAsync()
    {
        await Stack.DisposeAsync();
        Directory.Delete(State, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class ControlsCollection : ICollectionFixture<ControlsFixture>
{
    public const string Name = "operator controls";
}
