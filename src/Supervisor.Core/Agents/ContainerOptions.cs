using System.Text.RegularExpressions;

namespace Supervisor.Agents;

/// <summary>
/// <c>Supervisor:Agents:&lt;name&gt;:Container</c>: the limits of each attempt's container when the agent's
/// <c>Isolation</c> is <c>container</c>.
/// </summary>
public sealed partial class ContainerOptions
{
    /// <summary>Memory limit; the container gets no swap beyond it, so exceeding it is an OOM kill.</summary>
    public int MemoryMb { get; set; } = 2048;

    /// <summary>CPU limit in cores (e.g. 1.5); none when unset.</summary>
    public double? Cpus { get; set; }

    /// <summary>Most processes and threads the container may have at once (a fork bomb stops here).</summary>
    public int PidsLimit { get; set; } = 512;

    /// <summary><c>none</c> (no network but loopback), <c>bridge</c>, <c>host</c>, or a Docker network's name.</summary>
    public string Network { get; set; } = NetworkNone;

    /// <summary><c>uid[:gid]</c> or a user name of the image; by default the worker's own uid:gid, so files written in the workspace stay the worker's.</summary>
    public string? User { get; set; }

    public const string NetworkNone = "none";

    /// <summary>Every error of this section, each naming its key under <paramref name="key"/>.</summary>
    public IEnumerable<string> Validate(string key)
    {
        if (MemoryMb is < 8 or > 1024 * 1024)
            yield return $"{key}:MemoryMb: must be between 8 and 1048576.";
        if (Cpus is { } cpus && (double.IsNaN(cpus) || cpus < 0.01 || cpus > 1024))
            yield return $"{key}:Cpus: must be between 0.01 and 1024.";
        if (PidsLimit is < 8 or > 4194304)
            yield return $"{key}:PidsLimit: must be between 8 and 4194304.";
        if (!NetworkName().IsMatch(Network ?? ""))
            yield return $"{key}:Network: '{Network}' is not none, bridge, host or a network name (sharing another container's network is not allowed).";
        if (User is { } user && !UserPattern().IsMatch(user))
            yield return $"{key}:User: '{user}' is not uid[:gid] or a user name.";
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex NetworkName();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,31})?$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex UserPattern();
}
