using Supervisor.Settings;

namespace Supervisor.Worker.Settings;

/// <summary><c>Supervisor:Worker</c>: identity and local resources of one worker process.</summary>
public sealed class WorkerOptions : IValidatedOptions
{
    public const string Section = "Supervisor:Worker";

    /// <summary>Shown in each attempt's record; defaults to host-pid.</summary>
    public string Id { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Directory under which each attempt gets its fresh workspace.</summary>
    public string WorkspaceRoot { get; set; } = Path.Combine(Path.GetTempPath(), "supervisor-workspaces");

    /// <summary>Stored output per attempt; beyond it the head and the tail are kept and the cut is marked.</summary>
    public int MaxOutputBytes { get; set; } = 1024 * 1024;

    /// <summary>After SIGTERM, how long running attempts may go on before they are killed and their jobs handed back.</summary>
    [FormerlyNamed("ShutdownGraceSeconds", "a duration such as 30s")]
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often the worker tells the service it is alive and what it runs. Keep it at most a third of the service's
    /// <c>Supervisor:Fleet:LostAfter</c> (8 s by default), so that a live worker's attempts never look lost for a late beat or two.
    /// </summary>
    [FormerlyNamed("HeartbeatSeconds", "a duration such as 30s")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long to wait for the service's answer to a start check before asking again. No attempt starts without its
    /// lease: a restarting service delays attempts, it never lets one start unchecked.
    /// </summary>
    [FormerlyNamed("StartCheckTimeoutSeconds", "a duration such as 30s")]
    public TimeSpan StartCheckTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long an attempt runs before its start is published on its own (the task then shows Running). A shorter
    /// attempt carries its start in its result, which saves a message and a saga transaction. Zero publishes every start
    /// at once.
    /// </summary>
    public TimeSpan AnnounceStartAfter { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// This worker's cancel queue (<c>worker-cancel-&lt;Id&gt;</c>) is durable, so a worker cut off for a while still
    /// gets the cancellations it missed; the broker deletes it once it has been unused this long (the worker is gone).
    /// </summary>
    public TimeSpan CancelQueueExpiry { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Bound on each Docker Engine request that is not a stream (image inspect, container create, start, kill, remove):
    /// a hung engine ends the attempt as <c>ContainerCrash</c> within it. A running container is inspected once per this
    /// interval, since the wait for its exit is a stream no request timeout bounds.
    /// </summary>
    public TimeSpan EngineCallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Where this worker serves its own metrics in Prometheus text (e.g. <c>http://127.0.0.1:9465</c>; the path is
    /// <c>/metrics</c>). Off when unset.
    /// </summary>
    public string? MetricsUrl { get; set; }

    /// <summary>
    /// Directories a task's repository must lie in (its real path, every link followed), checked again here before the
    /// worktree is made; a job outside them fails as Invalid. Empty: any directory.
    /// </summary>
    public List<string> AllowedRepositoryRoots { get; set; } = [];

    /// <summary>
    /// Whether an attempt's worktree is a copy-on-write overlay over a checkout of its base commit shared by every attempt
    /// from it (<see cref="Workspaces.WorkspaceLayers"/>): its cost and disk follow what the agent changes, not the
    /// repository's size. Needs root and overlayfs; without them, or false, each attempt gets a plain worktree.
    /// </summary>
    public bool CopyOnWrite { get; set; } = true;

    /// <summary>
    /// Who agents run as: a range of numeric user ids (<c>60600-61099</c>, the default), one of which each running attempt
    /// takes for its duration (its group id is the same number, no supplementary groups; no passwd entries needed), or
    /// <c>worker</c>: agents run as the worker's own user (development only: they can read the worker's secrets).
    /// </summary>
    public string AgentUsers { get; set; } = AgentUserRange.Default;

    /// <summary>Remote repositories: the mirror cache's bound and, per host, credentials and forge.</summary>
    public WorkerGitOptions Git { get; set; } = new();

    /// <summary>Agent types this process serves (from <c>--agent NAME</c>, repeatable).</summary>
    public List<string> Agents { get; set; } = [];

    /// <summary>This section's own errors; the agents it serves are checked against the catalog by <see cref="WorkerAgentsValidator"/>.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxOutputBytes < 1024)
            errors.Add($"{Section}:MaxOutputBytes: must be at least 1024.");
        if (ShutdownGrace < TimeSpan.Zero || ShutdownGrace > TimeSpan.FromDays(1))
            errors.Add($"{Section}:ShutdownGrace: must be between 0s and 1d (it is {ShutdownGrace}).");
        if (HeartbeatInterval < TimeSpan.FromSeconds(1) || HeartbeatInterval > TimeSpan.FromHours(1))
            errors.Add($"{Section}:HeartbeatInterval: must be between 1s and 1h (it is {HeartbeatInterval}).");
        if (StartCheckTimeout < TimeSpan.FromSeconds(1) || StartCheckTimeout > TimeSpan.FromMinutes(10))
            errors.Add($"{Section}:StartCheckTimeout: must be between 1s and 10m (it is {StartCheckTimeout}).");
        if (AnnounceStartAfter < TimeSpan.Zero || AnnounceStartAfter > TimeSpan.FromMinutes(1))
            errors.Add($"{Section}:AnnounceStartAfter: must be between 0s and 1m (it is {AnnounceStartAfter}).");
        if (CancelQueueExpiry < TimeSpan.FromMinutes(1) || CancelQueueExpiry > TimeSpan.FromDays(30))
            errors.Add($"{Section}:CancelQueueExpiry: must be between 1m and 30d (it is {CancelQueueExpiry}).");
        if (EngineCallTimeout < TimeSpan.FromSeconds(1) || EngineCallTimeout > TimeSpan.FromMinutes(10))
            errors.Add($"{Section}:EngineCallTimeout: must be between 1s and 10m (it is {EngineCallTimeout}).");
        if (MetricsUrl is { } metricsUrl && !(Uri.TryCreate(metricsUrl, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp))
            errors.Add($"{Section}:MetricsUrl: '{metricsUrl}' is not an absolute http:// URL (e.g. http://127.0.0.1:9465).");
        foreach (var root in AllowedRepositoryRoots.Where(r => !Path.IsPathFullyQualified(r)))
            errors.Add($"{Section}:AllowedRepositoryRoots: '{root}' must be an absolute path.");
        if (AgentUserRange.Problem(AgentUsers) is { } agentUsers)
            errors.Add($"{Section}:AgentUsers: {agentUsers}");
        errors.AddRange(Git.Validate());
        if (string.IsNullOrWhiteSpace(Id))
            errors.Add($"{Section}:Id: must not be empty.");
        return errors;
    }
}
