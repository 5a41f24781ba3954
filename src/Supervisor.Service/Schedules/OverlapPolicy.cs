namespace Supervisor.Service.Schedules;

/// <summary>What a fire does while a task of the same schedule is still open (not terminal, or decided and not yet created).</summary>
public enum OverlapPolicy
{
    /// <summary>The fire is skipped, and counted.</summary>
    Skip,

    /// <summary>The fire waits until nothing is open; a second one meanwhile is skipped.</summary>
    BufferOne,

    /// <summary>The fire starts a task anyway.</summary>
    Allow,

    /// <summary>The open tasks are cancelled; the fire waits until they have ended, and supersedes one already waiting.</summary>
    CancelOther,
}

/// <summary>What happens to the fires missed while no service ran, inside the catch-up window.</summary>
public enum CatchUpPolicy
{
    /// <summary>Each missed fire is a fire of its own (the overlap policy still applies).</summary>
    Each,

    /// <summary>Only the latest missed fire is; the others are counted as coalesced into it.</summary>
    Latest,
}

/// <summary>The policies as the API, the CLI and the database write them: camelCase, exactly.</summary>
public static class SchedulePolicies
{
    static readonly (string Text, OverlapPolicy Value)[] Overlaps =
        [("skip", OverlapPolicy.Skip), ("bufferOne", OverlapPolicy.BufferOne), ("allow", OverlapPolicy.Allow), ("cancelOther", OverlapPolicy.CancelOther)];

    static readonly (string Text, CatchUpPolicy Value)[] CatchUps = [("each", CatchUpPolicy.Each), ("latest", CatchUpPolicy.Latest)];

    /// <summary>The accepted overlap policies, for messages and help.</summary>
    public static string OverlapNames { get; } = string.Join(", ", Overlaps.Select(o => o.Text));

    /// <summary>The accepted catch-up policies, for messages and help.</summary>
    public static string CatchUpNames { get; } = string.Join(", ", CatchUps.Select(c => c.Text));

    /// <summary>Reads an overlap policy; on failure <paramref name="error"/> says which ones there are.</summary>
    public static bool TryParseOverlap(string? text, out OverlapPolicy policy, out string error) =>
        TryParse(text, Overlaps, OverlapNames, out policy, out error);

    /// <summary>Reads a catch-up policy; on failure <paramref name="error"/> says which ones there are.</summary>
    public static bool TryParseCatchUp(string? text, out CatchUpPolicy policy, out string error) =>
        TryParse(text, CatchUps, CatchUpNames, out policy, out error);

    /// <summary>A policy known to be valid (stored, or checked before): one that is not is a bug, and throws.</summary>
    public static OverlapPolicy ParseOverlap(string text) =>
        TryParseOverlap(text, out var policy, out var error) ? policy : throw new ArgumentException(error, nameof(text));

    /// <summary>A catch-up policy known to be valid; one that is not throws.</summary>
    public static CatchUpPolicy ParseCatchUp(string text) =>
        TryParseCatchUp(text, out var policy, out var error) ? policy : throw new ArgumentException(error, nameof(text));

    public static string ToText(this OverlapPolicy policy) => Overlaps.Single(o => o.Value == policy).Text;

    public static string ToText(this CatchUpPolicy policy) => CatchUps.Single(c => c.Value == policy).Text;

    static bool TryParse<T>(string? text, (string Text, T Value)[] known, string names, out T value, out string error)
        where T : struct, Enum
    {
        foreach (var (name, candidate) in known)
        {
            if (string.Equals(name, text, StringComparison.Ordinal))
            {
                value = candidate;
                error = "";
                return true;
            }
        }

        value = default;
        error = $"'{text}' is not one of {names}.";
        return false;
    }
}
