using System.CommandLine;
using System.Text.RegularExpressions;
using Supervisor.Cli.Api;

namespace Supervisor.Cli.Commands;

/// <summary>
/// The <c>ID</c> argument of the schedule commands: a full GUID, a prefix of one such as the 8 characters <c>schedule list</c>
/// shows, or a schedule's name. Prefixes and names are matched here against the schedules the service lists: there are
/// few, unlike tasks.
/// </summary>
static partial class ScheduleIdArgument
{
    /// <summary>How many schedules a prefix or name is matched against (the most the list route gives).</summary>
    public const int Searched = 1000;

    const int MinimumPrefix = 4;

    public static Argument<string> Create() => new("ID")
    {
        Description = "Schedule: its id (the GUID, or a unique prefix of at least " +
            $"{MinimumPrefix} characters as 'schedule list' shows) or its name",
        Validators =
        {
            result =>
            {
                var text = result.GetValueOrDefault<string>();
                if (!Guid.TryParse(text, out _) && !NameLike().IsMatch(text ?? ""))
                {
                    result.AddError($"'{text}' is neither a schedule id nor a schedule name (letters, digits, '.', '_', '-', '/')");
                }
            },
        },
    };

    public static async Task<Guid> ResolveAsync(ApiClient api, string text, CancellationToken ct) =>
        Guid.TryParse(text, out var id) ? id : Resolve(text, (await api.ListSchedulesAsync(Searched, ct)).Value);

    /// <summary>
    /// The one schedule <paramref name="text"/> names among <paramref name="schedules"/>, by name or by id prefix; throws if
    /// none or several do. A name that is also a prefix of another schedule's id is ambiguous rather than taken.
    /// </summary>
    public static Guid Resolve(string text, IReadOnlyList<ScheduleSummary> schedules)
    {
        if (Guid.TryParse(text, out var id))
        {
            return id;
        }

        var prefix = IsPrefix(text) ? text.Replace("-", "", StringComparison.Ordinal) : null;
        var byName = schedules.Where(s => string.Equals(s.Name, text, StringComparison.Ordinal)).ToList();
        var byPrefix = prefix is null
            ? []
            : schedules.Where(s => s.Id.ToString("N").StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();
        var matches = byName.Concat(byPrefix).DistinctBy(s => s.Id).ToList();
        return matches.Count switch
        {
            1 => matches[0].Id,
            0 => throw new ScheduleNotFoundException(schedules.Count < Searched
                ? $"no schedule is named '{text}' or has an id starting with it"
                : $"none of the newest {Searched} schedules is named '{text}' or has an id starting with it; give the full id"),
            _ when byName.Count > 0 && byPrefix.Any(s => s.Id != byName[0].Id) => throw new UsageException(
                $"'{text}' is the name of schedule {Short(byName[0].Id)} and the start of the id of " +
                $"{Describe(byPrefix.Where(s => s.Id != byName[0].Id))}; give the full id"),
            _ => throw new UsageException(
                $"'{text}' matches {matches.Count} schedules ({Describe(matches)}); give more characters"),
        };
    }

    static string Describe(IEnumerable<ScheduleSummary> schedules) =>
        string.Join(", ", schedules.Select(s => s.Name is { Length: > 0 } name ? $"{Short(s.Id)} '{name}'" : Short(s.Id)));

    static string Short(Guid id) => id.ToString("D")[..13] + "…";

    static bool IsPrefix(string text) =>
        text.Length is >= MinimumPrefix and < 36 && text.All(c => char.IsAsciiHexDigit(c) || c == '-');

    // A name as the service allows it (the rules of a label key), which covers every id prefix too.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex NameLike();
}
