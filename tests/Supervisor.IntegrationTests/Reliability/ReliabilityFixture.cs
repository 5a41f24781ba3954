using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Reliability;

/// <summary>
/// Agents played by a real flaky executable (TestAgents/flaky-agent.sh), with retry intervals shortened by
/// configuration: alpha falls back to beta; gamma and delta stand alone; loop1 and loop2 fall back to each other;
/// slow runs on two workers of its own that give running attempts one second of grace when stopped; quiet gives up on an
/// agent silent for 2 s; hungry allocates more than its memory limit; tuned and tuned2 print the model they are given. The broker's consumer_timeout is taken to be 4 h.
/// </summary>
public sealed class ReliabilityFixture : IAsyncLifetime
{
    internal SupervisorStack Stack { get; private set; } = null!;

    public string State { get; } = TestEnvironment.SharedDirectory("supervisor-flaky-");

    public static readonly TimeSpan RateLimitInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(300);

    public async Task InitializeAsync()
    {
        var script = TestEnvironment.AgentScript("flaky-agent.sh");
        var config = new Dictionary<string, string>();
        void Agent(string name, string? fallback = null, string rateLimit = "00:00:01", int timeout = 60)
        {
            var key = $"Supervisor__Agents__{name}__";
            config[key + "Command"] = "/bin/sh";
            config[key + "Args__0"] = script;
            config[key + "Args__1"] = "{prompt}";
            config[key + "Env__FLAKY_STATE"] = State;
            config[key + "Concurrency"] = "4";
            config[key + "TimeoutSeconds"] = timeout.ToString(System.Globalization.CultureInfo.InvariantCulture);
            config[key + "Retry__Intervals__0"] = "00:00:00.3";
            config[key + "Retry__Intervals__1"] = "00:00:00.3";
            config[key + "Retry__RateLimitIntervals__0"] = rateLimit;
            config[key + "Retry__RateLimitIntervals__1"] = rateLimit;
            config[key + "Retry__Jitter"] = "0";
            if (fallback is not null)
                config[key + "Fallback"] = fallback;
        }

        Agent("alpha", fallback: "beta");
        Agent("beta");
        Agent("gamma");
        Agent("delta", rateLimit: "00:00:06");
        Agent("loop1", fallback: "loop2");
        Agent("loop2", fallback: "loop1");
        Agent("slow");
        config["Supervisor__Agents__slow__Concurrency"] = "1";
        Agent("quiet");
        config["Supervisor__Agents__quiet__IdleTimeoutSeconds"] = "2";
        Agent("hungry");
        config["Supervisor__Agents__hungry__Args__0"] = "-c";
        config["Supervisor__Agents__hungry__Args__1"] = "head -c 100000000 /dev/zero | tail -c 100000000 >/dev/null";
        config["Supervisor__Agents__hungry__MemoryMb"] = "64";
        // tuned and tuned2 print the model they were given ({model}); tuned fails at once (Fatal) on the prompt "fail".
        foreach (var (name, fails) in new[] { ("tuned", "yes"), ("tuned2", "no") })
        {
            var key = $"Supervisor__Agents__{name}__";
            config[key + "Command"] = "/bin/sh";
            config[key + "Args__0"] = "-c";
            config[key + "Args__1"] = "echo \"model $1\"; if [ \"$0\" = fail ] && [ \"$FAILS\" = yes ]; then echo 'Invalid API key'; exit 1; fi";
            config[key + "Args__2"] = "{prompt}";
            config[key + "Args__3"] = "{model}";
            config[key + "Env__FAILS"] = fails;
            config[key + "Model"] = name + "-default";
            config[key + "Models__0"] = name + "-default";
            config[key + "Models__1"] = name + "-small";
        }

        config["Supervisor__Broker__ConsumerTimeout"] = "4h";

        Stack = await SupervisorStack.StartAsync("reliability", config, services: 1);
        await Stack.AddWorkerAsync("alpha,beta,gamma,delta,quiet,hungry,tuned,tuned2");
        await AddSlowWorkerAsync();
        await AddSlowWorkerAsync();
    }

    internal Task<HostProcess> AddSlowWorkerAsync(string? id = null) =>
        Stack.AddWorkerAsync("slow", new Dictionary<string, string> { ["Supervisor__Worker__ShutdownGrace"] = "1s" }, id);

    public async Task DisposeAsync()
    {
        await Stack.DisposeAsync();
        Directory.Delete(State, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class ReliabilityCollection : ICollectionFixture<ReliabilityFixture>
{
    public const string Name = "reliability";
}
