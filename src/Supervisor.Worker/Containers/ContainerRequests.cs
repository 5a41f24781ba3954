using System.Globalization;
using Docker.DotNet.Models;
using Supervisor.Agents;
using Supervisor.Worker.Attempts;
using Supervisor.Worker.Execution;

namespace Supervisor.Worker.Containers;

/// <summary>
/// What a container attempt asks the engine for (in Docker.DotNet's request types): the agent's image and limits, the
/// workspace, and nothing else.
/// </summary>
public static class ContainerRequests
{
    /// <summary>Label on every container the worker creates; its value is the task id (<c>docker ps -a --filter label=supervisor.task</c>).</summary>
    public const string TaskLabel = "supervisor.task";

    /// <summary>Label with the id of the worker that created the container.</summary>
    public const string WorkerLabel = "supervisor.worker";

    /// <summary>
    /// The container for one run of <paramref name="spec"/>: its program as the entrypoint (whatever the image's own),
    /// the host directory <see cref="ProcessSpec.WorkingDirectory"/> mounted read-write at <see cref="ContainerPaths.Workspace"/> (and,
    /// for <c>Home: attempt</c>, the attempt's own HOME at <see cref="ContainerPaths.Home"/>) and nothing else of the host, exactly the spec's environment, the agent's memory / CPU / pids limits and network,
    /// all capabilities dropped and no privilege escalation, a read-only root filesystem with a tmpfs at <c>/tmp</c>, and (for a
    /// sandboxed worker, <see cref="ProcessSpec.RunAs"/>) the attempt's uid and gid as the container's user. The agent's program is PID 1 (no init: with one, a command
    /// missing from the image would be an exit code of the init rather than the engine's refusal to start).
    /// </summary>
    public static CreateContainerParameters Create(AgentOptions agent, ProcessSpec spec, IReadOnlyDictionary<string, string> labels, string defaultUser)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(labels);
        var limits = agent.Container;
        var memory = limits.MemoryMb * 1024L * 1024L;
        List<Mount> mounts = [new Mount { Type = "bind", Source = spec.WorkingDirectory, Target = ContainerPaths.Workspace, ReadOnly = false }];
        if (AgentHome.PathFor(agent, spec.WorkingDirectory) is { } home && Directory.Exists(home))
            mounts.Add(new Mount { Type = "bind", Source = home, Target = ContainerPaths.Home, ReadOnly = false });
        return new CreateContainerParameters
        {
            Image = agent.Image ?? throw new InvalidOperationException("Isolation 'container' needs an Image."),
            Entrypoint = [spec.FileName],
            Cmd = [.. spec.Arguments],
            Env = [.. spec.Environment.Select(kv => $"{kv.Key}={kv.Value}")],
            WorkingDir = ContainerPaths.Workspace,
            // A sandboxed attempt's container runs as the attempt's uid: the owner of the bind-mounted workspace and HOME.
            User = spec.RunAs is { } uid ? string.Create(CultureInfo.InvariantCulture, $"{uid}:{uid}") : limits.User ?? defaultUser,
            Labels = new Dictionary<string, string>(labels, StringComparer.Ordinal),
            AttachStdout = true,
            AttachStderr = true,
            // Seconds between SIGTERM and SIGKILL when the container is stopped from outside (the engine shutting down,
            // an operator's docker stop); the worker itself only ever kills. The agent is PID 1, which ignores SIGTERM
            // unless it handles it, so waiting long would only delay the attempt's end.
            StopTimeout = TimeSpan.FromSeconds(5),
            HostConfig = new HostConfig
            {
                Mounts = mounts,
                NetworkMode = limits.Network,
                Memory = memory,
                MemorySwap = memory,
                NanoCPUs = limits.Cpus is { } cpus ? (long)Math.Round(cpus * 1e9) : 0,
                PidsLimit = limits.PidsLimit,
                // Nothing of the image can be changed: what the agent writes goes to its workspace, its HOME or /tmp (memory,
                // counted in the container's memory limit, gone with the container).
                ReadonlyRootfs = true,
                Tmpfs = new Dictionary<string, string>(StringComparer.Ordinal) { ["/tmp"] = "rw,exec,nosuid,nodev,mode=1777" },
                CapDrop = ["ALL"],
                SecurityOpt = ["no-new-privileges"],
                Privileged = false,
                Init = false,
                // The runner reads the output back through the engine; json-file keeps it whatever the engine's default
                // driver, and the size cap protects the engine's disk from a runaway agent.
                LogConfig = new LogConfig
                {
                    Type = "json-file",
                    Config = new Dictionary<string, string>(StringComparer.Ordinal) { ["max-size"] = "50m", ["max-file"] = "2" },
                },
            },
        };
    }

    /// <summary>Containers, running or not, that carry <paramref name="label"/> (<c>key</c> or <c>key=value</c>).</summary>
    public static ContainersListParameters Labelled(string label) => new()
    {
        All = true,
        Filters = new Dictionary<string, IDictionary<string, bool>>(StringComparer.Ordinal)
        {
            ["label"] = new Dictionary<string, bool>(StringComparer.Ordinal) { [label] = true },
        },
    };

    /// <summary>The labels that tie a container to its attempt, read from the attempt's <c>SUPERVISOR_*</c> variables.</summary>
    public static IReadOnlyDictionary<string, string> Labels(ProcessSpec spec, string workerId)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [TaskLabel] = spec.Environment.GetValueOrDefault("SUPERVISOR_TASK_ID", ""),
            ["supervisor.attempt"] = spec.Environment.GetValueOrDefault("SUPERVISOR_ATTEMPT", ""),
            ["supervisor.agent"] = spec.Environment.GetValueOrDefault("SUPERVISOR_AGENT", ""),
            [WorkerLabel] = workerId,
        };
        return labels;
    }

    /// <summary>A readable, unique name: <c>supervisor-&lt;task8&gt;-&lt;attempt&gt;-&lt;random&gt;</c>.</summary>
    public static string Name(IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var task = labels.GetValueOrDefault(TaskLabel, "").Replace("-", "", StringComparison.Ordinal);
        var attempt = labels.GetValueOrDefault("supervisor.attempt", "");
        var random = Guid.NewGuid().ToString("N")[..8];
        return task.Length >= 8 && int.TryParse(attempt, NumberStyles.None, CultureInfo.InvariantCulture, out _)
            ? $"supervisor-{task[..8]}-{attempt}-{random}"
            : $"supervisor-{random}";
    }
}
