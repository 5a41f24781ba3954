namespace Supervisor.IntegrationTests.Infrastructure;

/// <summary>Agent profiles made by configuration alone, as an operator adds an agent type: a shell script as the agent.</summary>
static class ShellAgents
{
    /// <summary>
    /// Agent <paramref name="name"/> runs <c>/bin/sh -c <paramref name="script"/></c> with the task's prompt as <c>$0</c>
    /// (a script of <c>{prompt}</c> runs the prompt itself), with <paramref name="settings"/> under its profile.
    /// </summary>
    public static Dictionary<string, string> Profile(string name, string script, params (string Key, string Value)[] settings)
    {
        var key = $"Supervisor__Agents__{name}__";
        var profile = new Dictionary<string, string>
        {
            [key + "Command"] = "/bin/sh",
            [key + "Args__0"] = "-c",
            [key + "Args__1"] = script,
            [key + "Args__2"] = "{prompt}",
        };
        foreach (var (setting, value) in settings)
            profile[key + setting] = value;
        return profile;
    }
}
