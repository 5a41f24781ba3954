namespace Supervisor.Worker;

/// <summary><c>Supervisor:Worker</c>: identity and local resources of one worker process.</summary>
public sealed class WorkerOptions
{
    public const string Section = "Supervisor:Worker";

    /// <summary>Shown in each attempt's record; defaults to host-pid.</summary>
    public string Id { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Directory under which each attempt gets its fresh workspace.</summary>
    public string WorkspaceRoot { get; set; } = Path.Combine(Path.GetTempPath(), "supervisor-workspaces");

    /// <summary>Stored output per attempt; beyond it the head and the tail are kept and the cut is marked.</summary>
    public int MaxOutputBytes { get; set; } = 1024 * 1024;

    /// <summary>After SIGTERM, how long running attempts may go on before they are killed and their jobs handed back.</summary>
    public int ShutdownGraceSeconds { get; set; } = 30;

    /// <summary>How often the worker tells the service it is alive and what it runs.</summary>
    public int HeartbeatSeconds { get; set; } = 5;

    /// <summary>How long to wait for the service's answer before starting an attempt anyway (it may be restarting).</summary>
    public int StartCheckTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// How long an attempt runs before its start is published on its own (the task then shows Running). A shorter
    /// attempt carries its start in its result, which saves a message and a saga transaction. Zero publishes every start
    /// at once.
    /// </summary>
    public TimeSpan AnnounceStartAfter { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Where this worker serves its own metrics in Prometheus text (e.g. <c>http://127.0.0.1:9465</c>; the path is
    /// <c>/metrics</c>). Off when unset.
    /// </summary>
    public string? MetricsUrl { get; set; }

    /// <summary>Agent types this process serves (from <c>--agent NAME</c>, repeatable).</summary>
    public List<string> Agents { get; set; } = [];

    public IReadOnlyList<string> Validate(Supervisor.Agents.AgentCatalog catalog)
    {
        var errors = new List<string>();
        if (Agents.Count == 0)
            errors.Add("--agent: name at least one agent to serve (e.g. --agent shell); configured: " + string.Join(", ", catalog.Agents.Keys.Order()));
        foreach (var name in Agents)
        {
            if (!catalog.TryGet(name, out var agent))
            {
                errors.Add($"--agent: '{name}' is not a configured agent; configured: {string.Join(", ", catalog.Agents.Keys.Order())}");
                continue;
            }

            if (!Rules.Interpretation.OutputInterpreter.Formats.Contains(agent.OutputFormat))
                errors.Add($"Supervisor:Agents:{name}:OutputFormat: '{agent.OutputFormat}' is not one of {string.Join(", ", Rules.Interpretation.OutputInterpreter.Formats)}.");
        }
        if (MaxOutputBytes < 1024)
            errors.Add($"{Section}:MaxOutputBytes: must be at least 1024.");
        if (ShutdownGraceSeconds is < 0 or > 86400)
            errors.Add($"{Section}:ShutdownGraceSeconds: must be between 0 and 86400.");
        if (HeartbeatSeconds is < 1 or > 3600)
            errors.Add($"{Section}:HeartbeatSeconds: must be between 1 and 3600.");
        if (StartCheckTimeoutSeconds is < 1 or > 600)
            errors.Add($"{Section}:StartCheckTimeoutSeconds: must be between 1 and 600.");
        if (AnnounceStartAfter < TimeSpan.Zero || AnnounceStartAfter > TimeSpan.FromMinutes(1))
            errors.Add($"{Section}:AnnounceStartAfter: must be between 00:00:00 and 00:01:00 (it is {AnnounceStartAfter}).");
        if (MetricsUrl is { } metricsUrl && !(Uri.TryCreate(metricsUrl, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp))
            errors.Add($"{Section}:MetricsUrl: '{metricsUrl}' is not an absolute http:// URL (e.g. http://127.0.0.1:9465).");
        if (string.IsNullOrWhiteSpace(Id))
            errors.Add($"{Section}:Id: must not be empty.");
        return errors;
    }
}
