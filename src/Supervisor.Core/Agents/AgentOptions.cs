namespace Supervisor.Agents;

/// <summary>One agent type, bound from <c>Supervisor:Agents:&lt;name&gt;</c>.</summary>
public sealed class AgentOptions
{
    /// <summary>Executable to run (looked up on PATH when not absolute).</summary>
    public string? Command { get; set; }

    /// <summary>
    /// Arguments; <c>{prompt}</c>, <c>{workspace}</c>, <c>{endpoint}</c>, <c>{model}</c> and <c>{home}</c> are substituted,
    /// each argument stays one argument.
    /// </summary>
    public List<string> Args { get; set; } = [];

    /// <summary>
    /// The only environment the agent process gets besides PATH, HOME and TMPDIR; <c>{endpoint}</c>, <c>{model}</c>,
    /// <c>{workspace}</c> and <c>{home}</c> are substituted in values.
    /// </summary>
    public Dictionary<string, string> Env { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Provider endpoint (scheme://host:port) for profiles that talk to an API: the <c>{endpoint}</c> placeholder.</summary>
    public string? Endpoint { get; set; }

    /// <summary>The model the agent is asked to use by default: the <c>{model}</c> placeholder. A task may name another.</summary>
    public string? Model { get; set; }

    /// <summary>
    /// The models a task may name for this agent (<c>model</c> on submit); empty: any name that looks like a model's.
    /// </summary>
    public List<string> Models { get; set; } = [];

    /// <summary>
    /// Whether a prompt that starts with <c>-</c> could be read as an option: <c>{prompt}</c> is a whole argument with no
    /// <c>--</c> before it. Part of an argument (<c>--prompt={prompt}</c>), or after <c>--</c>, it stays the prompt.
    /// </summary>
    public bool PromptMayBeOption =>
        Args.TakeWhile(a => a != "--").Any(a => a == "{prompt}");

    /// <summary>Whether the profile passes a model to its agent (uses <c>{model}</c> in Args, Env or Files).</summary>
    public bool UsesModel =>
        Args.Concat(Env.Values).Concat(Files.Values).Any(t => t.Contains("{model}", StringComparison.Ordinal));

    /// <summary>This profile, asking its agent for <paramref name="model"/> instead of its default (this one when null).</summary>
    public AgentOptions WithModel(string? model)
    {
        if (model is null || model == Model)
            return this;
        var copy = (AgentOptions)MemberwiseClone();
        copy.Model = model;
        return copy;
    }

    /// <summary>
    /// <c>worker</c> (default): the agent sees the worker's HOME. <c>attempt</c>: a fresh, empty HOME (and TMPDIR) per
    /// attempt, removed afterwards, holding only <see cref="Files"/>; no CLI state or credentials carry over between attempts.
    /// </summary>
    public string Home { get; set; } = HomeModes.Worker;

    /// <summary>
    /// Files written into the attempt's HOME before the agent starts (path relative to HOME → content; placeholders as in
    /// <see cref="Env"/>), e.g. a CLI's settings file. Requires <c>Home: attempt</c>.
    /// </summary>
    public Dictionary<string, string> Files { get; set; } = new(StringComparer.Ordinal);

    /// <summary><c>worktree</c> (default), <c>container</c> or <c>none</c>.</summary>
    public string Isolation { get; set; } = IsolationModes.Worktree;

    /// <summary>Image each attempt's container starts from when <see cref="Isolation"/> is <c>container</c>; it must be on the worker's Docker engine (it is never pulled).</summary>
    public string? Image { get; set; }

    /// <summary>Limits of each attempt's container when <see cref="Isolation"/> is <c>container</c>.</summary>
    public ContainerOptions Container { get; set; } = new();

    /// <summary>Wall-clock limit of one attempt.</summary>
    public int TimeoutSeconds { get; set; } = 3600;

    /// <summary>
    /// An attempt whose agent shows no sign of life (nothing on stdout or stderr, its retry messages included) for this
    /// long is ended as <c>Timeout</c>, "stalled": for CLIs that hang on a dead connection. Off when unset.
    /// </summary>
    public int? IdleTimeoutSeconds { get; set; }

    /// <summary>
    /// Address-space limit of a <c>worktree</c> or <c>none</c> agent's processes, in MiB (<c>prlimit --as</c>, inherited by
    /// everything the agent starts); an allocation beyond it fails. Off when unset. A container agent's limit is
    /// <c>Container:MemoryMb</c>.
    /// </summary>
    public int? MemoryMb { get; set; }

    /// <summary>Agent to hand the task to when this one gives up (builds the chain when a task names one agent).</summary>
    public string? Fallback { get; set; }

    /// <summary>Attempts one worker process runs at once for this agent (also its prefetch).</summary>
    public int Concurrency { get; set; } = 1;

    public RetryOptions Retry { get; set; } = new();

    /// <summary>How the provider's limits are handled (<c>Limits</c>): the account they apply to and how long they block it.</summary>
    public LimitOptions Limits { get; set; } = new();

    /// <summary>
    /// When the agent's CLI announces more retries of its own than this within one attempt (recognised in its output,
    /// see <c>OutputFormat</c>), the attempt is ended and counts as <c>Retryable</c>: for CLIs that retry an unreachable
    /// endpoint for ever (codex). 0: never; the wall clock alone ends such a run.
    /// </summary>
    public int GiveUpAfterOwnRetries { get; set; }

    /// <summary>How the worker reads the agent's output for errors, usage and a summary (<c>plain</c>: exit code and patterns only).</summary>
    public string OutputFormat { get; set; } = "plain";

    /// <summary>Failure class → regular expressions matched against the attempt's exit line, stderr and stdout.</summary>
    public Dictionary<string, List<string>> ErrorPatterns { get; set; } = new(StringComparer.Ordinal);
}

public sealed class RetryOptions
{
    /// <summary>Redelivery delays for Retryable, AgentFailure, Timeout and ContainerCrash failures (default 5 s, 15 s, 45 s).</summary>
    public List<TimeSpan> Intervals { get; set; } = [];

    /// <summary>Redelivery delays for RateLimited failures (default 60 s, 120 s, 300 s).</summary>
    public List<TimeSpan> RateLimitIntervals { get; set; } = [];

    /// <summary>A retry-after hint in the agent's output is honoured up to this long.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Each delay is lengthened by a random share of up to this fraction, so that many tasks do not retry in step.</summary>
    public double Jitter { get; set; } = 0.2;

    public IReadOnlyList<TimeSpan> EffectiveIntervals => Intervals.Count > 0 ? Intervals : SupervisorOptions.DefaultIntervals;

    public IReadOnlyList<TimeSpan> EffectiveRateLimitIntervals => RateLimitIntervals.Count > 0 ? RateLimitIntervals : SupervisorOptions.DefaultRateLimitIntervals;
}

public static class HomeModes
{
    public const string Worker = "worker";
    public const string Attempt = "attempt";

    public static readonly IReadOnlyList<string> All = [Worker, Attempt];
}

public static class IsolationModes
{
    public const string Worktree = "worktree";
    public const string Container = "container";
    public const string None = "none";

    public static readonly IReadOnlyList<string> All = [Worktree, Container, None];
}
