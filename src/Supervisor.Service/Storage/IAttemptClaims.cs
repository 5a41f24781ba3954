using Supervisor.Contracts;

namespace Supervisor.Service.Storage;

/// <summary>
/// Which worker runs each attempt of a task (the start check): one claim per task and attempt number, under the claim id
/// of the delivery that took it.
/// </summary>
public interface IAttemptClaims
{
    /// <summary>
    /// The task's state and pass, and whether the request's attempt was claimed for it now: a claim is taken only when
    /// <paramref name="claim"/> is set, the task is in one of <paramref name="activeStates"/> and on the request's pass,
    /// and nobody holds the attempt. Null when there is no such task.
    /// </summary>
    Task<ClaimCheck?> CheckAndClaimAsync(AttemptStartRequest request, bool claim, IReadOnlyCollection<string> activeStates, DateTime now,
        CancellationToken cancellationToken);

    /// <summary>Who holds the request's attempt, or null when nobody does (the claim is being changed).</summary>
    Task<ClaimHolder?> HolderAsync(AttemptStartRequest request, CancellationToken cancellationToken);

    /// <summary>Moves the claim from <paramref name="holder"/> to the request's worker and claim id; false when the holder changed meanwhile.</summary>
    Task<bool> TakeOverAsync(AttemptStartRequest request, string holder, DateTime now, CancellationToken cancellationToken);

    /// <summary>Frees the claim made under the release's claim id, if one was; true when it was freed.</summary>
    Task<bool> ReleaseAsync(ReleaseAttemptClaim release, CancellationToken cancellationToken);
}

/// <summary>The task's state and pass, and whether the attempt was claimed by this check.</summary>
public sealed record ClaimCheck(string State, int Pass, bool Claimed);

/// <summary>
/// The worker holding an attempt: whether its record of the attempt is finished, its latest heartbeat, whether that
/// heartbeat reports the attempt running, and whether the claim is the asking delivery's own.
/// </summary>
public sealed record ClaimHolder(string Worker, bool Finished, DateTime? LastHeartbeat, bool Running, bool SameClaim);
