using System.CommandLine;
using Supervisor.Cli.Api;

namespace Supervisor.Cli.Commands;

/// <summary>
/// The <c>ID</c> argument of the task commands: a full GUID, or, for convenience, a prefix of one such as the 8 characters
/// <c>list</c> shows, matched against every task the service holds.
/// </summary>
static class TaskIdArgument
{
    const int MinimumPrefix = 4;

    public static Argument<string> Create() => new("ID")
    {
        Description = "Task id: the full GUID, or a unique prefix of it (at least 4 characters) as shown by 'list'",
        Validators =
        {
            result =>
            {
                var text = result.GetValueOrDefault<string>();
                if (!Guid.TryParse(text, out _) && !IsPrefix(text))
                {
                    result.AddError($"'{text}' is not a task id: give the GUID (e.g. 3f2a1b2c-...) or at least its first {MinimumPrefix} characters");
                }
            },
        },
    };

    public static async Task<Guid> ResolveAsync(ApiClient api, string text, CancellationToken ct)
    {
        if (Guid.TryParse(text, out var id))
        {
            return id;
        }

        // The service matches the prefix (dashes or not) against every task it holds.
        var matches = (await api.ListTasksAsync(state: null, limit: 10, ct, idPrefix: text)).Value.Select(t => t.Id).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new TaskNotFoundException(text),
            _ => throw new UsageException(
                $"'{text}' matches {(matches.Count < 10 ? matches.Count : "10 or more")} tasks ({string.Join(", ", matches.Select(m => m.ToString("D")[..13]))}…); give more characters"),
        };
    }

    static bool IsPrefix(string? text) =>
        text is { Length: >= MinimumPrefix and < 36 } && text.All(c => char.IsAsciiHexDigit(c) || c == '-');
}
