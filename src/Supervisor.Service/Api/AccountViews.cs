using Supervisor.Rules.Limits;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Api;

/// <summary>
/// A provider account as <c>GET /api/agents</c> shows it: <see cref="State"/> is <c>ok</c>, <c>cooling</c> (a rate limit)
/// or <c>blocked</c> (a usage window, quota or billing) until <see cref="Until"/>, since <see cref="Since"/>;
/// <see cref="Kind"/> the limit's kind; <see cref="LastSignal"/> the evidence of the last limit reported, at
/// <see cref="LastSignalAt"/>; <see cref="Blocks"/> how many block episodes it has had. <see cref="Workers"/>: the live
/// workers whose heartbeats name the account.
/// </summary>
public sealed record AccountView(
    string Id, string State, string? Kind, DateTime? Until, DateTime? Since, string? LastSignal, DateTime? LastSignalAt, int Blocks, int Workers)
{
    /// <summary>The account as stored, read at <paramref name="now"/>: a block whose time has passed is over.</summary>
    public static AccountView Of(string id, AccountRecord? record, int workers, DateTime now)
    {
        if (record is null)
            return new AccountView(id, "ok", null, null, null, null, null, 0, workers);
        var status = record.Status;
        return status.InForceAt(now)
            ? new AccountView(id, LimitNames.Of(status.State), LimitNames.Of(status.Kind!.Value), status.BlockedUntil, status.BlockSince,
                record.LastEvidence, record.LastSignalAt, record.Blocks, workers)
            : new AccountView(id, "ok", null, null, null, record.LastEvidence, record.LastSignalAt, record.Blocks, workers);
    }
}
