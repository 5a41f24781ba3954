using System.Diagnostics.CodeAnalysis;
using Cronos;

namespace Supervisor.Service.Schedules;

/// <summary>One error of a schedule's definition: the field as the API names it, and why.</summary>
public sealed record FieldError(string Field, string Message);

/// <summary>
/// When a schedule fires: a cron expression in a time zone (Cronos: 5 fields, or 6 with seconds first; its rules for
/// daylight saving time) or a fixed interval, between an optional start and end. Only <see cref="TryCreate"/> makes one,
/// so every instance is valid and fires at least once.
/// </summary>
/// <remarks>
/// An interval's occurrences are <c>anchor + k·every</c>, anchored on <see cref="StartAt"/> or else the Unix epoch (as
/// Temporal aligns intervals), so they do not depend on when the schedule was created or last evaluated; the time zone
/// does not move them. Times are kept to whole microseconds, as <c>timestamptz</c> and <c>interval</c> hold them: an
/// occurrence read back from the database is then the one computed here, and so is the task id derived from it.
/// </remarks>
public sealed class ScheduleSpec
{
    public const string DefaultTimeZone = "UTC";

    public static readonly TimeSpan ShortestEvery = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan LongestEvery = TimeSpan.FromDays(366);

    const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000;

    readonly CronExpression? _cron;

    ScheduleSpec(string? cron, CronExpression? expression, TimeSpan? every, TimeZoneInfo zone, string zoneId, DateTime? startAt, DateTime? endAt)
    {
        Cron = cron;
        _cron = expression;
        Every = every;
        TimeZone = zone;
        TimeZoneId = zoneId;
        StartAt = startAt;
        EndAt = endAt;
    }

    /// <summary>The cron expression as given (trimmed); null for an interval.</summary>
    public string? Cron { get; }

    /// <summary>The interval; null for a cron expression.</summary>
    public TimeSpan? Every { get; }

    /// <summary>The zone's id as given, <see cref="DefaultTimeZone"/> when none was.</summary>
    public string TimeZoneId { get; }

    public TimeZoneInfo TimeZone { get; }

    /// <summary>No occurrence before this (UTC); it is one itself for an interval.</summary>
    public DateTime? StartAt { get; }

    /// <summary>No occurrence after this (UTC); one at this very time still counts.</summary>
    public DateTime? EndAt { get; }

    /// <summary>
    /// Checks a definition completely: <paramref name="spec"/> when it is valid, otherwise every error, each naming its
    /// field (<c>cron</c>, <c>every</c>, <c>timeZone</c>, <c>startAt</c>, <c>endAt</c>).
    /// </summary>
    public static bool TryCreate(
        string? cron, TimeSpan? every, string? timeZone, DateTime? startAt, DateTime? endAt,
        [NotNullWhen(true)] out ScheduleSpec? spec, out IReadOnlyList<FieldError> errors)
    {
        RequireUtc(startAt, nameof(startAt));
        RequireUtc(endAt, nameof(endAt));
        var found = new List<FieldError>();
        spec = null;
        errors = found;

        cron = string.IsNullOrWhiteSpace(cron) ? null : cron.Trim();
        CronExpression? expression = null;
        if ((cron is null) == (every is null))
            found.Add(new("cron", "give either cron or every, not both and not neither."));
        else if (cron is not null && !TryParseCron(cron, out expression, out var cronError))
            found.Add(new("cron", cronError));

        if (every is { } interval && (interval < ShortestEvery || interval > LongestEvery))
            found.Add(new("every", $"must be between 1s and 366d (it is {interval})."));

        var zoneId = string.IsNullOrWhiteSpace(timeZone) ? DefaultTimeZone : timeZone.Trim();
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var zone))
            found.Add(new("timeZone", $"'{zoneId}' is not a time zone; give an IANA id such as Europe/Berlin."));

        startAt = Microseconds(startAt);
        endAt = Microseconds(endAt);
        if (startAt is { } start && endAt is { } end && end <= start)
            found.Add(new("endAt", $"{Iso(end)} must be after startAt ({Iso(start)})."));

        if (found.Count > 0)
            return false;

        var created = new ScheduleSpec(cron, expression, Microseconds(every), zone!, zoneId, startAt, endAt);
        var first = created.FirstAtOrAfter(startAt ?? DateTime.UnixEpoch);
        if (first is null || first > endAt)
        {
            // An interval always fires at its start; without one, only an end before 1970 leaves it nothing.
            found.Add(cron is null
                ? new("endAt", $"is before the interval's first occurrence{(first is { } at ? $" ({Iso(at)})" : "")}.")
                : new("cron", $"'{cron}' never fires{Between(startAt, endAt)}."));
            return false;
        }

        spec = created;
        return true;
    }

    /// <summary>The occurrences in <c>(<paramref name="fromExclusiveUtc"/>, <paramref name="toInclusiveUtc"/>]</c>, earliest first, lazily.</summary>
    public IEnumerable<DateTime> Occurrences(DateTime fromExclusiveUtc, DateTime toInclusiveUtc)
    {
        RequireUtc(fromExclusiveUtc, nameof(fromExclusiveUtc));
        RequireUtc(toInclusiveUtc, nameof(toInclusiveUtc));
        return Bounded(fromExclusiveUtc, toInclusiveUtc, out var from, out var fromInclusive, out var to)
            ? Ascending(from, fromInclusive, to)
            : [];
    }

    /// <summary>The same occurrences latest first, lazily: the most recent few of a long range without walking all of it.</summary>
    public IEnumerable<DateTime> OccurrencesDescending(DateTime fromExclusiveUtc, DateTime toInclusiveUtc)
    {
        RequireUtc(fromExclusiveUtc, nameof(fromExclusiveUtc));
        RequireUtc(toInclusiveUtc, nameof(toInclusiveUtc));
        return Bounded(fromExclusiveUtc, toInclusiveUtc, out var from, out var fromInclusive, out var to)
            ? Descending(from, fromInclusive, to)
            : [];
    }

    /// <summary>The first occurrence after <paramref name="utc"/>; null when there is none (past <see cref="EndAt"/>).</summary>
    public DateTime? NextAfter(DateTime utc)
    {
        RequireUtc(utc, nameof(utc));
        var next = StartAt > utc ? FirstAtOrAfter(StartAt.Value) : FirstAfter(utc);
        return next > EndAt ? null : next;
    }

    /// <summary>The range clipped to [StartAt, EndAt]; false when nothing of it is left.</summary>
    bool Bounded(DateTime fromExclusive, DateTime toInclusive, out DateTime from, out bool fromInclusive, out DateTime to)
    {
        fromInclusive = StartAt > fromExclusive;
        from = fromInclusive ? StartAt!.Value : fromExclusive;
        to = EndAt < toInclusive ? EndAt.Value : toInclusive;
        return fromInclusive ? from <= to : from < to;
    }

    IEnumerable<DateTime> Ascending(DateTime from, bool fromInclusive, DateTime to)
    {
        if (_cron is null)
            return Steps(fromInclusive ? FirstAtOrAfter(from) : FirstAfter(from), Every!.Value, o => o <= to);
        return from == to ? OnlyIfOccurrence(from) : _cron.GetOccurrences(from, to, TimeZone, fromInclusive, toInclusive: true);
    }

    IEnumerable<DateTime> Descending(DateTime from, bool fromInclusive, DateTime to)
    {
        if (_cron is null)
            return Steps(LastAtOrBefore(to), -Every!.Value, o => fromInclusive ? o >= from : o > from);
        return from == to ? OnlyIfOccurrence(from) : _cron.GetOccurrencesDescending(to, from, TimeZone, fromInclusive: true, toInclusive: fromInclusive);
    }

    /// <summary>The range [at, at] (Cronos refuses an empty one): at alone, if it is an occurrence.</summary>
    IEnumerable<DateTime> OnlyIfOccurrence(DateTime at) => FirstAtOrAfter(at) == at ? [at] : [];

    static IEnumerable<DateTime> Steps(DateTime? first, TimeSpan step, Func<DateTime, bool> inRange)
    {
        for (var at = first; at is { } o && inRange(o); at = Add(o, step))
            yield return at.Value;
    }

    DateTime? FirstAfter(DateTime utc) => _cron is not null
        ? _cron.GetNextOccurrence(utc, TimeZone, inclusive: false)
        : Interval(utc, (offset, every) => FloorDivide(offset, every) + 1);

    DateTime? FirstAtOrAfter(DateTime utc) => _cron is not null
        ? _cron.GetNextOccurrence(utc, TimeZone, inclusive: true)
        : Interval(utc, (offset, every) => -FloorDivide(-offset, every));

    DateTime? LastAtOrBefore(DateTime utc) => Interval(utc, FloorDivide);

    /// <summary>The interval's occurrence <c>anchor + k·every</c> for the k that <paramref name="step"/> picks from utc's offset to the anchor.</summary>
    DateTime? Interval(DateTime utc, Func<long, long, long> step)
    {
        var anchor = (StartAt ?? DateTime.UnixEpoch).Ticks;
        var every = Every!.Value.Ticks;
        var k = step(utc.Ticks - anchor, every);
        var ticks = (Int128)anchor + ((Int128)k * every);
        return ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks ? null : new DateTime((long)ticks, DateTimeKind.Utc);
    }

    static DateTime? Add(DateTime at, TimeSpan step)
    {
        var ticks = (Int128)at.Ticks + step.Ticks;
        return ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks ? null : new DateTime((long)ticks, DateTimeKind.Utc);
    }

    static long FloorDivide(long a, long b) => (a / b) - (a % b < 0 ? 1 : 0);

    static bool TryParseCron(string cron, [NotNullWhen(true)] out CronExpression? expression, out string error)
    {
        expression = null;
        error = "";
        var fields = cron.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        try
        {
            expression = CronExpression.Parse(cron, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
            return true;
        }
        catch (CronFormatException e)
        {
            error = e.Message;
        }
        catch (MissingSeedException)
        {
            // Cronos's H (a value hashed from a seed) would need a seed per schedule; nobody has asked for it.
            error = "H (a hashed value) is not supported; give the minute, hour, … as numbers, ranges or steps.";
        }

        return false;
    }

    static DateTime? Microseconds(DateTime? at) => at is { } t ? Microseconds(t) : null;

    /// <summary>A UTC time cut to whole microseconds, as <c>timestamptz</c> holds it.</summary>
    internal static DateTime Microseconds(DateTime at) => new(at.Ticks - (at.Ticks % TicksPerMicrosecond), DateTimeKind.Utc);

    static TimeSpan? Microseconds(TimeSpan? span) => span is { } s ? new TimeSpan(s.Ticks - (s.Ticks % TicksPerMicrosecond)) : null;

    static string Between(DateTime? startAt, DateTime? endAt) => (startAt, endAt) switch
    {
        (null, null) => "",
        (not null, null) => " after startAt",
        (null, not null) => " before endAt",
        _ => " between startAt and endAt",
    };

    internal static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture);

    static void RequireUtc(DateTime? at, string name)
    {
        if (at is { Kind: not DateTimeKind.Utc })
            throw new ArgumentException($"must be a UTC time (its Kind is {at.Value.Kind}).", name);
    }
}
