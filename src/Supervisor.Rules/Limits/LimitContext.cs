namespace Supervisor.Rules.Limits;

/// <summary>
/// When and where a line was read, for reset times a CLI prints relative to its clock: <see cref="Now"/> (UTC) and the
/// worker's local <see cref="Zone"/>, which a time without a zone ("try again at 8:19 PM") is read in.
/// </summary>
public sealed record LimitContext(DateTime Now, TimeZoneInfo Zone)
{
    /// <summary>The machine's clock and zone, as the agent's CLI sees them.</summary>
    public static LimitContext At(TimeProvider time) => new(time.GetUtcNow().UtcDateTime, time.LocalTimeZone);
}
