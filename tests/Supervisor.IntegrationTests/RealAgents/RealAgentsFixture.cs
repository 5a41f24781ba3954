using System.Globalization;
using Microsoft.Extensions.Configuration;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.RealAgents;

/// <summary>
/// The real Claude Code, Codex, Gemini and Copilot CLIs (installed by scripts/install-agent-clis.sh) run by a real worker
/// under the shipped profiles, against the provider stub. Only configuration changes: each profile's Endpoint and key,
/// quicker retries, and extra profiles: claude-readonly, claude without the permission to edit; codex-offline, codex with a
/// provider that refuses connections; claude-limits, claude on an account of its own that ends an attempt on a limit
/// resetting more than 5 s ahead; gemini-quota, gemini on an account of its own.
/// </summary>
public sealed class RealAgentsFixture : IAsyncLifetime
{
    public static readonly string[] Clis = ["claude", "codex", "gemini", "copilot"];

    /// <summary>
    /// Where scripts/install-agent-clis.sh put them: <c>SUPERVISOR_AGENT_CLIS</c>, else its system prefix (root's default,
    /// reachable by agent users), else the project-local <c>.data/agent-clis</c>.
    /// </summary>
    public static string CliDirectory { get; } = Path.Combine(
        Environment.GetEnvironmentVariable("SUPERVISOR_AGENT_CLIS") is { Length: > 0 } configured ? configured
        : Directory.Exists(SystemPrefix) ? SystemPrefix
        : Path.Combine(TestEnvironment.RepositoryRoot, ".data", "agent-clis"), "bin");

    const string SystemPrefix = "/opt/supervisor/agent-clis";

    public static readonly TimeSpan RateLimitInterval = TimeSpan.FromSeconds(1);

    /// <summary>claude-limits' <c>Limits:EndAttemptWhenBlockedBeyond</c>.</summary>
    public static readonly TimeSpan EndAttemptWhenBlockedBeyond = TimeSpan.FromSeconds(5);

    /// <summary>Where the worker serves its <c>/metrics</c>.</summary>
    public string WorkerMetricsUrl { get; } = $"http://127.0.0.1:{SupervisorStack.FreePort()}";

    internal SupervisorStack Stack { get; private set; } = null!;

    internal ProviderStubProcess Stub { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var missing = Clis.Where(c => !File.Exists(Path.Combine(CliDirectory, c))).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"The real agent CLIs are not installed ({string.Join(", ", missing)} missing in {CliDirectory}): run scripts/install-agent-clis.sh first (scripts/test.sh does).");
        }

        Stub = await ProviderStubProcess.StartAsync();
        var config = new Dictionary<string, string>
        {
            // As an operator would: the CLIs on the workers' PATH.
            ["PATH"] = CliDirectory + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
        };
        Profile(config, "claude", "ANTHROPIC_API_KEY");
        Profile(config, "codex", "OPENAI_API_KEY");
        Profile(config, "gemini", "GEMINI_API_KEY");
        Profile(config, "copilot", "COPILOT_PROVIDER_API_KEY");
        ReadonlyClaude(config);
        // codex as shipped, but its provider refuses connections: codex would reconnect until the wall clock.
        CopyProfile(config, "codex", "codex-offline");
        Profile(config, "codex-offline", "OPENAI_API_KEY");
        config["Supervisor__Agents__codex-offline__Endpoint"] = "http://127.0.0.1:1";
        config["Supervisor__Agents__codex-offline__GiveUpAfterOwnRetries"] = "1";
        // claude as shipped, with a key of its own (so an account of its own) and a short patience for limits.
        CopyProfile(config, "claude", "claude-limits");
        Profile(config, "claude-limits", "ANTHROPIC_API_KEY");
        config["Supervisor__Agents__claude-limits__Limits__EndAttemptWhenBlockedBeyond"] = EndAttemptWhenBlockedBeyond.ToString("c", CultureInfo.InvariantCulture);
        // gemini as shipped, with a key of its own: a test exhausts its quota, which blocks its account for hours.
        CopyProfile(config, "gemini", "gemini-quota");
        Profile(config, "gemini-quota", "GEMINI_API_KEY");

        Stack = await SupervisorStack.StartAsync("agents", config, services: 1);
        await Stack.AddWorkerAsync("claude,codex,gemini,copilot,claude-readonly,codex-offline,claude-limits,gemini-quota",
            new Dictionary<string, string> { ["Supervisor__Worker__MetricsUrl"] = WorkerMetricsUrl });
    }

    void Profile(Dictionary<string, string> config, string name, string keyVariable) => Profile(config, Stub.Endpoint, name, keyVariable);

    /// <summary>A profile's endpoint (the stub), a key of its own (so an account of its own), and quick retries.</summary>
    internal static void Profile(Dictionary<string, string> config, Uri endpoint, string name, string keyVariable)
    {
        var key = $"Supervisor__Agents__{name}__";
        config[key + "Endpoint"] = endpoint.ToString();
        config[key + "Env__" + keyVariable] = $"sk-test-{name}-0123456789abcdef";
        config[key + "Retry__Intervals__0"] = "00:00:00.3";
        config[key + "Retry__Intervals__1"] = "00:00:00.3";
        config[key + "Retry__RateLimitIntervals__0"] = RateLimitInterval.ToString("c", CultureInfo.InvariantCulture);
        config[key + "Retry__RateLimitIntervals__1"] = RateLimitInterval.ToString("c", CultureInfo.InvariantCulture);
        config[key + "Retry__Jitter"] = "0";
    }

    /// <summary>Another profile with the settings of a shipped one (from the agents.json the worker ships with).</summary>
    internal static void CopyProfile(Dictionary<string, string> config, string from, string to)
    {
        var shipped = new ConfigurationBuilder().AddJsonFile(TestEnvironment.ProjectOutput("Supervisor.Worker", "agents.json")).Build();
        foreach (var (key, value) in shipped.GetSection($"Supervisor:Agents:{from}").AsEnumerable(makePathsRelative: true))
        {
            if (value is not null)
                config[$"Supervisor__Agents__{to}__" + key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
    }

    /// <summary>A profile added by configuration alone: claude as shipped, minus --dangerously-skip-permissions.</summary>
    void ReadonlyClaude(Dictionary<string, string> config)
    {
        const string key = "Supervisor__Agents__claude-readonly__";
        string[] args = ["-p", "--output-format", "stream-json", "--verbose", "--", "{prompt}"];
        config[key + "Command"] = "claude";
        for (var i = 0; i < args.Length; i++)
            config[key + "Args__" + i.ToString(CultureInfo.InvariantCulture)] = args[i];
        config[key + "Env__ANTHROPIC_BASE_URL"] = "{endpoint}";
        config[key + "Env__ANTHROPIC_MODEL"] = "{model}";
        config[key + "Env__CLAUDE_CODE_MAX_RETRIES"] = "1";
        config[key + "Model"] = "claude-sonnet-4-5";
        config[key + "Home"] = "attempt";
        config[key + "OutputFormat"] = "claude-json";
        Profile(config, "claude-readonly", "ANTHROPIC_API_KEY");
    }

    public async Task DisposeAsync()
    {
        if (Stack is not null)
            await Stack.DisposeAsync();
        if (Stub is not null)
            await Stub.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class RealAgentsCollection : ICollectionFixture<RealAgentsFixture>
{
    public const string Name = "real agents";
}
