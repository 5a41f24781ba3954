using System.Globalization;

namespace Supervisor.Worker.Settings;

/// <summary>
/// <c>Supervisor:Worker:AgentUsers</c> read: the numeric user ids agents may run as (<c>first-last</c>, or one id), or
/// <see cref="Worker"/> (no range: agents run as the worker's own user).
/// </summary>
public sealed record AgentUserRange(int First, int Last)
{
    /// <summary>
    /// Ids no distribution or systemd hands out: 60578–61183 is left unused by systemd's allocation (below its
    /// <c>DynamicUser=</c> range, 61184–65519, whose live services a kill of a uid would reach).
    /// </summary>
    public const string Default = "60600-61099";

    /// <summary>The value that opts out of the sandbox: agents run as the worker itself.</summary>
    public const string Worker = "worker";

    /// <summary>The range <paramref name="value"/> names; null for <see cref="Worker"/>. Throws for a value <see cref="Problem"/> rejects.</summary>
    public static AgentUserRange? Parse(string value) =>
        Read(value, out var range, out var problem) ? range : throw new FormatException(problem);

    /// <summary>The range <paramref name="value"/> names; null for <see cref="Worker"/> and for a value <see cref="Problem"/> rejects.</summary>
    public static AgentUserRange? TryRead(string? value) => Read(value, out var range, out _) ? range : null;

    /// <summary>What is wrong with <paramref name="value"/>; null when it is a valid range or <see cref="Worker"/>.</summary>
    public static string? Problem(string? value) => Read(value, out _, out var problem) ? null : problem;

    static bool Read(string? value, out AgentUserRange? range, out string problem)
    {
        range = null;
        problem = "";
        var text = value?.Trim() ?? "";
        if (string.Equals(text, Worker, StringComparison.Ordinal))
            return true;
        var parts = text.Split('-');
        if (parts.Length is < 1 or > 2 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            problem = $"'{value}' is neither a range of user ids such as {Default} nor '{Worker}'.";
            return false;
        }

        var first = int.Parse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture);
        var last = int.Parse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture);
        if (first == 0)
        {
            problem = $"'{value}' includes user id 0 (root); agents must run unprivileged.";
            return false;
        }

        if (first > last)
        {
            problem = $"'{value}': the first user id ({first}) is above the last ({last}).";
            return false;
        }

        if (first <= 65535 && last >= 65534)
        {
            problem = $"'{value}' includes user id 65534 (nobody) or 65535 (no one: the invalid id); leave them out.";
            return false;
        }

        range = new AgentUserRange(first, last);
        return true;
    }

    public int Count => Last - First + 1;

    public override string ToString() => First == Last
        ? First.ToString(CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{First}-{Last}");
}
