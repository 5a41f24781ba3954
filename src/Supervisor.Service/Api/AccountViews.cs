using Supervisor.Rules.Limits;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Api;

/// <summary>
/// A provider account as <c>GET /api/agents</c> shows it: <see cref="State"/> is <c>ok</c>, <c>cooling</c> (a rate limit)
/// or <c>blocked</c> (a usage window, quota or billing) until <see cref="Until"/>, since <see cref="Since"/>, or
/// <c>probing</c> after a block's end: one start (<see cref="ProbeTask"/> once chosen) tests the account and the others wait
/// for its outcome. <see cref="Kind"/> is the limit's kind; <see cref="LastSignal"/> the evidence of the last limit
/// reported, at <see cref="LastSignalAt"/>; <see cref="Blocks"/> how many block episodes it has had. <see cref="Running"/>:
/// attempts running on it, against <see cref="MaxConcurrent"/> (null: no cap); <see cref="Waiting"/>: tasks parked on it.
/// <see cref="Workers"/>: the live workers whose heartbeats name the account.
/// </summary>
public sealed record AccountView(
    string Id, string State, string? Kind, DateTime? Until, DateTime? Since, string? LastSignal, DateTime? LastSignalAt, int Blocks, int Workers,
    Guid? ProbeTask = null, int Running = 0, int? MaxConcurrent = null, int Waiting = 0)
{
    /// <summary>The account as stored, read at <paramref name="now"/>: a cool-down or block whose time has passed is over.</summary>
    public static AccountView Of(string id, AccountRecord? record, int workers, int? maxConcurrent, DateTime now)
    {
        if (record is null)
            return new AccountView(id, "ok", null, null, null, null, null, 0, workers, MaxConcurrent: maxConcurrent);
        var status = record.Status;
        var view = new AccountView(id, "ok", null, null, null, record.LastEvidence, record.LastSignalAt, record.Blocks, workers, null,
            record.Running, maxConcurrent, record.Waiting);
        if (status.InForceAt(now))
            return view with { State = LimitNames.Of(status.State), Kind = LimitNames.Of(status.Kind!.Value), Until = status.BlockedUntil, Since = status.BlockSince };
        if (status.State != AccountState.Ok)
            return view with { State = LimitNames.Of(AccountState.Probing), Kind = LimitNames.Of(status.Kind!.Value), Since = status.BlockSince, ProbeTask = status.ProbeTask };
        return view;
    }
}
