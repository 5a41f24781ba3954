using Supervisor.Rules.Limits;

namespace Supervisor.Service.Storage;

/// <summary>
/// The starts of the current budget day and month (UTC instants): an account's spend in each is the cost of the attempts
/// that finished on it since then.
/// </summary>
public sealed record SpendWindows(DateTime DayStart, DateTime MonthStart)
{
    /// <summary>The windows <paramref name="now"/> falls in, in <paramref name="zone"/>.</summary>
    public static SpendWindows At(DateTime now, TimeZoneInfo zone) => new(BudgetWindows.DayStart(now, zone), BudgetWindows.MonthStart(now, zone));
}
