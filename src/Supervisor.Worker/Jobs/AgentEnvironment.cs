using System.Text.RegularExpressions;
using Supervisor.Agents;
using Supervisor.Contracts;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// What an agent process is given: its arguments and the only environment it sees. A profile reaches its provider
/// through placeholders, never through code per agent: <c>{endpoint}</c> (the agent's <c>Endpoint</c>, without a
/// trailing slash), <c>{model}</c>, <c>{workspace}</c> and <c>{home}</c> in arguments, environment values and files;
/// <c>{prompt}</c> in arguments only.
/// </summary>
public static partial class AgentEnvironment
{
    /// <summary>Each argument with its placeholders replaced; an argument never splits.</summary>
    public static IReadOnlyList<string> Arguments(AgentOptions agent, string prompt, string workspace) =>
        agent.Args.Select(a => Substitute(agent, a, workspace).Replace("{prompt}", prompt, StringComparison.Ordinal)).ToList();

    /// <summary>
    /// The worker's PATH, HOME and locale (so binaries and their settings are found) — or the attempt's own HOME and
    /// TMPDIR when the profile says <c>Home: attempt</c> — the attempt's identity, then the agent's configured <c>Env</c>.
    /// Nothing else of the worker's environment leaks into the agent.
    /// </summary>
    public static IReadOnlyDictionary<string, string> For(AgentOptions agent, RunAgentJob job, int attempt, string workspace)
    {
        var home = AgentHome.PathFor(agent, workspace);
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
            ["HOME"] = home ?? Environment.GetEnvironmentVariable("HOME") ?? "/tmp",
            ["LANG"] = "C.UTF-8",
            ["TMPDIR"] = home is null ? Path.GetTempPath() : Path.Combine(home, "tmp"),
            ["SUPERVISOR_TASK_ID"] = job.TaskId.ToString(),
            ["SUPERVISOR_ATTEMPT"] = attempt.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SUPERVISOR_AGENT"] = job.Agent,
            ["SUPERVISOR_WORKSPACE"] = workspace,
        };
        foreach (var (key, value) in agent.Env)
            env[key] = Substitute(agent, value, workspace);
        return env;
    }

    /// <summary>Replaces <c>{endpoint}</c>, <c>{model}</c>, <c>{workspace}</c> and <c>{home}</c>.</summary>
    public static string Substitute(AgentOptions agent, string text, string workspace) =>
        text.Replace("{endpoint}", agent.Endpoint?.TrimEnd('/') ?? "", StringComparison.Ordinal)
            .Replace("{model}", agent.Model ?? "", StringComparison.Ordinal)
            .Replace("{workspace}", workspace, StringComparison.Ordinal)
            .Replace("{home}", AgentHome.PathFor(agent, workspace) ?? Environment.GetEnvironmentVariable("HOME") ?? "/tmp", StringComparison.Ordinal);

    /// <summary>Values of configured variables whose names say they are secret; the output redactor removes them verbatim.</summary>
    public static IReadOnlyList<string> SecretValues(AgentOptions agent) =>
        agent.Env.Where(kv => SecretName().IsMatch(kv.Key) && kv.Value.Length >= 4).Select(kv => kv.Value).ToList();

    [GeneratedRegex("KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();
}
