namespace Supervisor.Tests.Rules.Limits;

/// <summary>A clock that stands still at <paramref name="now"/> (UTC) in <paramref name="zone"/>: reset times read against it are exact.</summary>
sealed class FixedTime(DateTime now, TimeZoneInfo zone) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => new(DateTime.SpecifyKind(now, DateTimeKind.Utc));

    public override TimeZoneInfo LocalTimeZone => zone;
}
