namespace Supervisor.Worker.Containers;

// The slice of the Docker Engine API (v1.25 and later) that per-attempt containers use. Names are the API's own.

/// <summary>Body of <c>POST /containers/create</c>.</summary>
public sealed record ContainerCreateRequest(
    string Image,
    IReadOnlyList<string> Entrypoint,
    IReadOnlyList<string> Cmd,
    IReadOnlyList<string> Env,
    string WorkingDir,
    string? User,
    IReadOnlyDictionary<string, string> Labels,
    ContainerHostConfig HostConfig)
{
    public bool Tty => false;

    public bool OpenStdin => false;

    public bool AttachStdin => false;

    public bool AttachStdout => true;

    public bool AttachStderr => true;

    /// <summary>
    /// Seconds between SIGTERM and SIGKILL when the container is stopped from outside (the engine shutting down, an
    /// operator's <c>docker stop</c>); the worker itself only ever kills. The agent is PID 1, which ignores SIGTERM
    /// unless it handles it, so waiting long would only delay the attempt's end.
    /// </summary>
    public int StopTimeout { get; init; } = 5;
}

public sealed record ContainerHostConfig(
    IReadOnlyList<ContainerMount> Mounts,
    string NetworkMode,
    long Memory,
    long MemorySwap,
    long NanoCpus,
    long PidsLimit,
    IReadOnlyList<string> CapDrop,
    IReadOnlyList<string> SecurityOpt,
    bool Privileged,
    bool Init,
    ContainerLogConfig LogConfig);

public sealed record ContainerMount(string Type, string Source, string Target, bool ReadOnly);

public sealed record ContainerLogConfig(string Type, IReadOnlyDictionary<string, string> Config);

public sealed record ContainerCreated(string Id, IReadOnlyList<string>? Warnings);

public sealed record ContainerWaitError(string? Message);

/// <summary>Answer of <c>POST /containers/{id}/wait</c>.</summary>
public sealed record ContainerExit(long StatusCode, ContainerWaitError? Error);

public sealed record ContainerState(string Status, bool Running, bool OOMKilled, int ExitCode, string? Error);

/// <summary>The part of <c>GET /containers/{id}/json</c> the runner reads.</summary>
public sealed record ContainerInspection(string Id, string Name, ContainerState State);

/// <summary>One entry of <c>GET /containers/json</c>.</summary>
public sealed record ContainerSummary(string Id, IReadOnlyList<string> Names, string Image, string State, long Created, IReadOnlyDictionary<string, string>? Labels);

/// <summary>The part of <c>GET /images/{name}/json</c> the runner reads.</summary>
public sealed record ImageInspection(string Id, IReadOnlyList<string>? RepoTags);

/// <summary>The part of <c>GET /version</c> worth logging.</summary>
public sealed record EngineVersion(string Version, string ApiVersion, string? Os, string? Arch);
