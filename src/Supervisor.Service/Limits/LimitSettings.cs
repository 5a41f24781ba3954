using Supervisor.Settings;

namespace Supervisor.Service.Limits;

/// <summary><c>Supervisor:Limits</c>: the service-wide settings of provider accounts' limits and budgets.</summary>
public sealed class LimitSettings : IValidatedOptions
{
    public const string Section = "Supervisor:Limits";

    /// <summary>
    /// The IANA time zone (<c>Europe/Berlin</c>) whose midnights start the accounts' budget days and months; default UTC.
    /// One zone for every account, so that a day's spend means the same on every screen.
    /// </summary>
    public string BudgetTimeZone { get; set; } = "UTC";

    /// <summary>The zone <see cref="BudgetTimeZone"/> names (valid once the options are validated).</summary>
    public TimeZoneInfo BudgetZone => TimeZoneInfo.TryFindSystemTimeZoneById(BudgetTimeZone.Trim(), out var zone) ? zone : TimeZoneInfo.Utc;

    public IReadOnlyList<string> Validate() =>
        string.IsNullOrWhiteSpace(BudgetTimeZone) || !TimeZoneInfo.TryFindSystemTimeZoneById(BudgetTimeZone.Trim(), out _)
            ? [$"{Section}:BudgetTimeZone: '{BudgetTimeZone}' is not a time zone; give an IANA id such as Europe/Berlin (default UTC)."]
            : [];
}
