namespace Supervisor.Worker.Execution;

/// <summary>
/// What to run. <see cref="Environment"/> is the child's whole environment: nothing is inherited from the worker,
/// so the caller supplies PATH, HOME and whatever else the program needs.
/// A non-positive or infinite <see cref="Timeout"/> means no time limit. <see cref="StandardInput"/>, when given, is
/// written to the child's stdin before it is closed (hooks read their JSON there). <see cref="MemoryMb"/>, when given, limits
/// the address space of the program and everything it starts (<c>prlimit --as</c>, util-linux).
/// </summary>
public sealed record ProcessSpec(
    string FileName,
    IReadOnlyList<string> Arguments,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    TimeSpan Timeout,
    string? StandardInput = null,
    int? MemoryMb = null);
