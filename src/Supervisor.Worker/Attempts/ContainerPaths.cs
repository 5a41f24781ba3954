namespace Supervisor.Worker.Attempts;

/// <summary>
/// Where an attempt's directories appear inside its container: the mount points that the container request mounts and
/// that the agent's environment and placeholders name.
/// </summary>
public static class ContainerPaths
{
    /// <summary>Where the attempt's workspace appears inside its container.</summary>
    public const string Workspace = "/workspace";

    /// <summary>Where the attempt's own HOME (<c>Home: attempt</c>, beside the workspace on the worker) appears inside its container.</summary>
    public const string Home = "/home/supervisor";
}
