using System.CommandLine.Parsing;
using System.Globalization;

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
}
