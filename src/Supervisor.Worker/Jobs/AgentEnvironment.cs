using System.Text.RegularExpressions;
using Supervisor.Agents;
using Supervisor.Contracts;

namespace Supervisor.Worker.Jobs;

/// <summary>What an agent process is given: its arguments and the only environment it sees.</summary>
public static partial class AgentEnvironment
{
    /// <summary><c>{prompt}</c> and <c>{workspace}</c> are replaced inside each argument; an argument never splits.</summary>
    public static IReadOnlyList<string> Arguments(AgentOptions agent, string prompt, string workspace) =>
        agent.Args.Select(a => a.Replace("{prompt}", prompt, StringComparison.Ordinal).Replace("{workspace}", workspace, StringComparison.Ordinal))
            .ToList();

    /// <summary>
    /// The worker's PATH, HOME and locale (so binaries and their settings are found), the attempt's identity,
    /// then the agent's configured <c>Env</c>. Nothing else of the worker's environment leaks into the agent.
    /// </summary>
    public static IReadOnlyDictionary<string, string> For(AgentOptions agent, RunAgentJob job, int attempt, string workspace)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
            ["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? "/tmp",
            ["LANG"] = "C.UTF-8",
            ["TMPDIR"] = Path.GetTempPath(),
            ["SUPERVISOR_TASK_ID"] = job.TaskId.ToString(),
            ["SUPERVISOR_ATTEMPT"] = attempt.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SUPERVISOR_AGENT"] = job.Agent,
            ["SUPERVISOR_WORKSPACE"] = workspace,
        };
        foreach (var (key, value) in agent.Env)
            env[key] = value;
        return env;
    }

    /// <summary>Values of configured variables whose names say they are secret; the output redactor removes them verbatim.</summary>
    public static IReadOnlyList<string> SecretValues(AgentOptions agent) =>
        agent.Env.Where(kv => SecretName().IsMatch(kv.Key) && kv.Value.Length >= 4).Select(kv => kv.Value).ToList();

    [GeneratedRegex("KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();
}
