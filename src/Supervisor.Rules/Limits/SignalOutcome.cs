namespace Supervisor.Rules.Limits;

/// <summary>What a signal did to the account's block.</summary>
public enum SignalEffect
{
    /// <summary>A new block began (the account was ok, its block had lapsed, or it was probing): record the episode, arm a wake at its end.</summary>
    NewEpisode,

    /// <summary>The current block now ends later: move the episode's end and arm a wake there.</summary>
    Extended,

    /// <summary>The current block already ends as late or later: nothing changes (a block is never shortened).</summary>
    Unchanged,
}

/// <summary>The account's status after a signal, and what the signal did to it.</summary>
public sealed record SignalOutcome(AccountStatus Status, SignalEffect Effect);
