namespace Supervisor.Rules.Failures;

/// <summary>
/// When a container failed beneath its agent, whatever the agent printed: an out-of-memory kill or a runtime error the
/// engine reports. Such an outcome carries the description as <see cref="ProcessOutcome.Crash"/> and is classified
/// <c>ContainerCrash</c>.
/// </summary>
public static class ContainerCrashes
{
    /// <summary>Why the stopped container crashed, or null when its exit code is the agent's own.</summary>
    public static string? Describe(int exitCode, bool oomKilled, int memoryLimitMb, string? runtimeError)
    {
        // An OOM flag on a container that exited 0 is the engine noting pressure the agent survived, not a crash.
        if (exitCode != 0 && oomKilled)
            return $"out of memory: the container exceeded its {memoryLimitMb} MB limit and was killed (exit code {exitCode})";
        return runtimeError is { Length: > 0 } ? $"the container runtime failed: {runtimeError}" : null;
    }

    /// <summary>The engine failed or could not be reached while it ran the attempt.</summary>
    public static string EngineFailure(string message) => $"Docker engine failure: {message}";
}
