using System.CommandLine.Parsing;
using System.Globalization;
using Supervisor.Contracts;

namespace Supervisor.Cli.Commands;

/// <summary>Parsers for option values, so that a bad value gets a message that says what is expected.</summary>
static class Validation
{
    /// <summary>A parser for a positive whole number; <paramref name="message"/> names the option and what it means.</summary>
    public static Func<ArgumentResult, int?> PositiveInt(string message) => result =>
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0)
        {
            return value;
        }

        result.AddError($"{message} (got '{token}')");
        return null;
    };

    /// <summary>A parser for a positive amount (dollars) at most <paramref name="max"/>; <paramref name="message"/> names the option.</summary>
    public static Func<ArgumentResult, decimal?> PositiveDecimal(string message, decimal max) => result =>
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (decimal.TryParse(token.TrimStart('$'), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value > 0 && value <= max)
        {
            return value;
        }

        result.AddError($"{message}, at most {max.ToString(CultureInfo.InvariantCulture)} (got '{token}')");
        return null;
    };

    /// <summary>A parser for a positive whole number at most <paramref name="max"/>; <paramref name="message"/> names the option.</summary>
    public static Func<ArgumentResult, long?> PositiveLong(string message, long max) => result =>
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 && value <= max)
        {
            return value;
        }

        result.AddError($"{message}, at most {max.ToString(CultureInfo.InvariantCulture)} (got '{token}')");
        return null;
    };

    /// <summary>A parser for a start time (see <see cref="StartTime"/>), read as UTC; messages name <paramref name="option"/>.</summary>
    public static Func<ArgumentResult, DateTimeOffset?> Time(string option) => result =>
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (StartTime.TryParse(token, DateTimeOffset.UtcNow, out var at, out var error))
        {
            return at;
        }

        result.AddError($"{option} {error}");
        return null;
    };

    /// <summary>A parser for a duration (see <see cref="StartTime.TryParseDuration"/>); messages name <paramref name="option"/>.</summary>
    public static Func<ArgumentResult, TimeSpan?> Duration(string option) => result =>
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (StartTime.TryParseDuration(token, out var duration, out var error))
        {
            return duration;
        }

        result.AddError($"{option} {error}");
        return null;
    };

    /// <summary>A parser for an id the user chooses (a GUID); messages name <paramref name="option"/>.</summary>
    public static Func<ArgumentResult, Guid?> Id(string option) => result =>
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (Guid.TryParse(token, out var id))
        {
            return id;
        }

        result.AddError($"{option} '{token}' is not a GUID");
        return null;
    };

    /// <summary>
    /// A parser for one of <paramref name="names"/>, matched regardless of case and returned as written there (the API
    /// reads them exactly, e.g. <c>bufferOne</c>).
    /// </summary>
    public static Func<ArgumentResult, string?> OneOf(string option, params string[] names) => result =>
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (names.FirstOrDefault(n => string.Equals(n, token, StringComparison.OrdinalIgnoreCase)) is { } name)
        {
            return name;
        }

        result.AddError($"{option} '{token}' is not one of {string.Join(", ", names)}");
        return null;
    };

    /// <summary>
    /// A parser for a concurrency strategy as the command line writes it (<c>cancel-running</c>) or as the API does
    /// (<c>cancelRunning</c>), in any case; it gives the API's name.
    /// </summary>
    public static Func<ArgumentResult, string?> ConcurrencyStrategy(string option) => result =>
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        var bare = token.Replace("-", "", StringComparison.Ordinal);
        if (ConcurrencyStrategies.All.FirstOrDefault(s => string.Equals(s, bare, StringComparison.OrdinalIgnoreCase)) is { } strategy)
        {
            return strategy;
        }

        result.AddError($"{option} '{token}' is not one of queue, cancel-running, drop-newest");
        return null;
    };
}
