using System.Text.RegularExpressions;
using Supervisor.Agents;
using Supervisor.Contracts;

namespace Supervisor.Worker.Jobs;

/// <summary>What an agent process is given: its arguments and the only environment it sees.</summary>
public static partial class AgentEnvironment
{
    /// <summary>
    /// <c>{prompt}</c> and <c>{workspace}</c> are replaced inside each argument; an argument never splits. In a container
    /// the workspace is <c>/workspace</c>.
    /// </summary>
    public static IReadOnlyList<string> Arguments(AgentOptions agent, string prompt, string workspace) =>
        agent.Args.Select(a => a.Replace("{prompt}", prompt, StringComparison.Ordinal)
                .Replace("{workspace}", WorkspaceSeenBy(agent, workspace), StringComparison.Ordinal))
            .ToList();

    /// <summary>
    /// On this machine: the worker's PATH, HOME and locale (so binaries and their settings are found). In a container:
    /// nothing of the worker's (the image's own environment applies). Then the attempt's identity and the agent's
    /// configured <c>Env</c>. Nothing else of the worker's environment leaks into the agent.
    /// </summary>
    public static IReadOnlyDictionary<string, string> For(AgentOptions agent, RunAgentJob job, int attempt, string workspace)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (agent.Isolation != IsolationModes.Container)
        {
            env["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
            env["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? "/tmp";
            env["LANG"] = "C.UTF-8";
            env["TMPDIR"] = Path.GetTempPath();
        }

        env["SUPERVISOR_TASK_ID"] = job.TaskId.ToString();
        env["SUPERVISOR_ATTEMPT"] = attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["SUPERVISOR_AGENT"] = job.Agent;
        env["SUPERVISOR_WORKSPACE"] = WorkspaceSeenBy(agent, workspace);
        foreach (var (key, value) in agent.Env)
            env[key] = value;
        return env;
    }

    /// <summary>The workspace's path as the agent sees it: the worker's directory, or its mount point in a container.</summary>
    public static string WorkspaceSeenBy(AgentOptions agent, string workspace) =>
        agent.Isolation == IsolationModes.Container ? Containers.ContainerRequests.Workspace : workspace;

    /// <summary>Values of configured variables whose names say they are secret; the output redactor removes them verbatim.</summary>
    public static IReadOnlyList<string> SecretValues(AgentOptions agent) =>
        agent.Env.Where(kv => SecretName().IsMatch(kv.Key) && kv.Value.Length >= 4).Select(kv => kv.Value).ToList();

    [GeneratedRegex("KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();
}
