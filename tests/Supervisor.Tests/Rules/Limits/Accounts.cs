using System.Globalization;
using Supervisor.Rules.Limits;

namespace Supervisor.Tests.Rules.Limits;

/// <summary>Accounts in each state for the planner's specs, at 13:50:00Z on 2 June 2025, the service's clock.</summary>
static class Accounts
{
    public const string Id = "claude/3fa9c2d1e0b4";

    public static readonly DateTime Now = At("13:50:00");

    /// <summary>When the usage window the blocked accounts are in began.</summary>
    public static readonly DateTime WindowSince = At("13:40:00");

    public static readonly Guid ThisTask = new("aaaaaaaa-0000-0000-0000-000000000001");

    public static readonly Guid OtherTask = new("bbbbbbbb-0000-0000-0000-000000000002");

    /// <summary>The shipped limits: no cap, no budget, UTC budget windows.</summary>
    public static readonly AccountLimits Shipped = new();

    /// <summary>A time of the specs' day, <c>HH:mm:ss</c>, UTC.</summary>
    public static DateTime At(string time) =>
        DateTime.SpecifyKind(new DateTime(2025, 6, 2) + TimeSpan.Parse(time, CultureInfo.InvariantCulture), DateTimeKind.Utc);

    public static AccountSnapshot Ok(int running = 0, int reserved = 0) => new()
    {
        Id = Id,
        Status = AccountStatus.Ok,
        Running = running,
        Reserved = reserved,
        Now = Now,
    };

    /// <summary>Blocked by a usage window (or <paramref name="kind"/>) since <see cref="WindowSince"/>.</summary>
    public static AccountSnapshot Blocked(DateTime until, LimitKind kind = LimitKind.UsageWindow) =>
        Ok() with { Status = new AccountStatus(AccountState.Blocked, kind, until, WindowSince, null, null) };

    /// <summary>Cooling down after a rate limit since a minute ago.</summary>
    public static AccountSnapshot Cooling(DateTime until) =>
        Ok() with { Status = new AccountStatus(AccountState.Cooling, LimitKind.RateLimit, until, Now.AddMinutes(-1), null, null) };

    /// <summary>Probing after a usage window that ended at 13:49, with <paramref name="probe"/> chosen at <paramref name="probeSince"/>.</summary>
    public static AccountSnapshot Probing(Guid? probe = null, DateTime? probeSince = null) =>
        Ok() with
        {
            Status = new AccountStatus(AccountState.Probing, LimitKind.UsageWindow, At("13:49:00"), WindowSince, probe,
                probe is null ? null : probeSince ?? At("13:49:00")),
        };
}
