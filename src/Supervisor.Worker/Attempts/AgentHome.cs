using Supervisor.Agents;

namespace Supervisor.Worker.Attempts;

/// <summary>
/// The attempt's own HOME, for profiles with <c>Home: attempt</c>: a directory beside the attempt's workspace (never
/// inside it, so nothing of it is committed) holding the profile's <c>Files</c> and a <c>tmp</c> directory, created
/// before the agent starts and removed with the workspace. CLI state, caches and crash reports stay in the attempt.
/// </summary>
public static class AgentHome
{
    public static string? PathFor(AgentOptions agent, string workspace) =>
        agent.Home == HomeModes.Attempt ? Path.TrimEndingDirectorySeparator(workspace) + ".home" : null;

    /// <summary>Creates the attempt's HOME with the profile's files (placeholders substituted); nothing for <c>Home: worker</c>.</summary>
    public static void Create(AgentOptions agent, string workspace)
    {
        if (PathFor(agent, workspace) is not { } home)
            return;
        Directory.CreateDirectory(Path.Combine(home, "tmp"));
        foreach (var (relative, content) in agent.Files)
        {
            var path = Path.GetFullPath(relative, home);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, AgentEnvironment.Substitute(agent, content, workspace));
        }
    }

    public static void Remove(AgentOptions agent, string workspace)
    {
        try
        {
            if (PathFor(agent, workspace) is { } home)
                Workspaces.DirectoryRemover.Remove(home);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Runs in the attempt's finally block: a leftover directory beside the workspaces must not replace the attempt's outcome.
        }
    }
}
