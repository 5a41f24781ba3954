namespace Supervisor.Rules;

/// <summary>
/// How a run ended. <see cref="StartError"/> is set (and <see cref="ExitCode"/> null) when the program could not be started.
/// <see cref="Signal"/> is 9 when the runner killed the process group (timeout or cancellation); otherwise it is
/// inferred from .NET's 128+n exit code for the common fatal signals 1–15 only, because .NET cannot tell
/// "killed by signal n" from "exited with 128+n" and some CLIs exit with larger codes of their own (gemini: HTTP status mod 256).
/// <see cref="Crash"/> says why the run's container failed beneath the agent (OOM kill, Docker engine unreachable or failing);
/// such an attempt is a <c>ContainerCrash</c> whatever the agent printed.
/// </summary>
public sealed record ProcessOutcome(
    int? ExitCode,
    bool TimedOut,
    bool Cancelled,
    int? Signal,
    string? StartError,
    TimeSpan Duration,
    string? Crash = null);
