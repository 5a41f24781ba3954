using System.Text.RegularExpressions;
using Supervisor.Agents;
using Supervisor.Contracts;

namespace Supervisor.Worker.Attempts;

/// <summary>
/// What an agent process is given: its arguments and the only environment it sees. A profile reaches its provider
/// through placeholders, never through code per agent: <c>{endpoint}</c> (the agent's <c>Endpoint</c>, without a
/// trailing slash), <c>{model}</c>, <c>{workspace}</c> and <c>{home}</c> in arguments, environment values and files;
/// <c>{prompt}</c> in arguments only. In a container, <c>{workspace}</c> and <c>{home}</c> are the paths there.
/// </summary>
public static partial class AgentEnvironment
{
    /// <summary>Each argument with its placeholders replaced; an argument never splits.</summary>
    public static IReadOnlyList<string> Arguments(AgentOptions agent, string prompt, string workspace) =>
        agent.Args.Select(a => Substitute(agent, a, workspace).Replace("{prompt}", prompt, StringComparison.Ordinal)).ToList();

    /// <summary>
    /// On this machine: the worker's PATH, HOME and locale (so binaries and their settings are found) — or the
    /// attempt's own HOME and TMPDIR when the profile says <c>Home: attempt</c>. In a container: nothing of the worker's
    /// (the image's own environment applies), HOME and TMPDIR only for <c>Home: attempt</c>. Then the attempt's identity
    /// and the agent's configured <c>Env</c>. Nothing else of the worker's environment leaks into the agent.
    /// </summary>
    /// <summary>The worker's PATH and HOME and a UTF-8 locale: all a process on this machine is given of the worker's environment.</summary>
    public static Dictionary<string, string> WorkerBasics() => new(StringComparer.Ordinal)
    {
        ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
        ["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? "/tmp",
        ["LANG"] = "C.UTF-8",
    };

    public static IReadOnlyDictionary<string, string> For(AgentOptions agent, RunAgentJob job, int attempt, string workspace)
    {
        var home = HomeSeenBy(agent, workspace);
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (agent.Isolation != IsolationModes.Container)
        {
            foreach (var (key, value) in WorkerBasics())
                env[key] = value;
            if (home is not null)
                env["HOME"] = home;
            env["TMPDIR"] = home is null ? Path.GetTempPath() : Path.Combine(home, "tmp");
        }
        else if (home is not null)
        {
            env["HOME"] = home;
            env["TMPDIR"] = home + "/tmp";
        }

        env["SUPERVISOR_TASK_ID"] = job.TaskId.ToString();
        env["SUPERVISOR_ATTEMPT"] = attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["SUPERVISOR_AGENT"] = job.Agent;
        env["SUPERVISOR_WORKSPACE"] = WorkspaceSeenBy(agent, workspace);
        foreach (var (key, value) in agent.Env)
            env[key] = Substitute(agent, value, workspace);
        return env;
    }

    /// <summary>Replaces <c>{endpoint}</c>, <c>{model}</c>, <c>{workspace}</c> and <c>{home}</c>.</summary>
    public static string Substitute(AgentOptions agent, string text, string workspace) =>
        text.Replace("{endpoint}", agent.Endpoint?.TrimEnd('/') ?? "", StringComparison.Ordinal)
            .Replace("{model}", agent.Model ?? "", StringComparison.Ordinal)
            .Replace("{workspace}", WorkspaceSeenBy(agent, workspace), StringComparison.Ordinal)
            .Replace("{home}", HomeSeenBy(agent, workspace) ?? WorkerHome(agent), StringComparison.Ordinal);

    /// <summary>The workspace's path as the agent sees it: the worker's directory, or its mount point in a container.</summary>
    public static string WorkspaceSeenBy(AgentOptions agent, string workspace) =>
        agent.Isolation == IsolationModes.Container ? ContainerPaths.Workspace : workspace;

    /// <summary>The attempt's own HOME as the agent sees it; null for <c>Home: worker</c>.</summary>
    static string? HomeSeenBy(AgentOptions agent, string workspace) =>
        agent.Isolation != IsolationModes.Container ? AgentHome.PathFor(agent, workspace)
        : agent.Home == HomeModes.Attempt ? ContainerPaths.Home
        : null;

    /// <summary><c>{home}</c> for <c>Home: worker</c>: the worker's HOME, which a container does not see (it keeps its image's HOME).</summary>
    static string WorkerHome(AgentOptions agent) =>
        agent.Isolation == IsolationModes.Container ? "/tmp" : Environment.GetEnvironmentVariable("HOME") ?? "/tmp";

    /// <summary>Values of configured variables whose names say they are secret; the output redactor removes them verbatim.</summary>
    public static IReadOnlyList<string> SecretValues(AgentOptions agent) => SecretEnv(agent).Select(kv => kv.Value).ToList();

    /// <summary>The configured variables whose names say they are secret, in the order of their names (ordinal).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> SecretEnv(AgentOptions agent) =>
        agent.Env.Where(kv => SecretName().IsMatch(kv.Key) && kv.Value.Length >= 4).OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();

    [GeneratedRegex("KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex SecretName();
}
