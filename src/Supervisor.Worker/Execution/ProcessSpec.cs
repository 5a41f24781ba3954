namespace Supervisor.Worker.Execution;

/// <summary>
/// What to run. <see cref="Environment"/> is the child's whole environment: nothing is inherited from the worker,
/// so the caller supplies PATH, HOME and whatever else the program needs.
/// A non-positive or infinite <see cref="Timeout"/> means no time limit. <see cref="StandardInput"/>, when given, is
/// written to the child's stdin before it is closed (hooks read their JSON there). <see cref="MemoryMb"/>, when given, limits
/// the address space of the program and everything it starts (<c>prlimit --as</c>, util-linux). <see cref="RunAs"/>, when
/// given, is the user id (and group id) the program runs as, with no supplementary groups, no capabilities and no way to
/// gain privileges (taken by the thread that starts it, <see cref="AgentUserThread"/>, or else by <c>setpriv</c>, util-linux; see
/// <see cref="AgentUsers"/>); in a container, the container's user.
/// </summary>
public sealed record ProcessSpec(
    string FileName,
    IReadOnlyList<string> Arguments,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    TimeSpan Timeout,
    string? StandardInput = null,
    int? MemoryMb = null,
    int? RunAs = null);
