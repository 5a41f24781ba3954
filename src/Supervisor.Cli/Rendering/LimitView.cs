using Supervisor.Cli.Api;

namespace Supervisor.Cli.Rendering;

/// <summary>
/// A task's limit policy and its wait on a blocked provider account or its full concurrency key, as <c>show</c>, <c>list</c>,
/// <c>schedule show</c> and <c>submit --wait</c> say them. Plain text: callers escape it for markup.
/// </summary>
static class LimitView
{
    /// <summary>The task's own choices, e.g. <c>fallback, max wait 1h30m, max windows 3</c>; null when it left them all to its agent.</summary>
    public static string? Policy(string? onLimit, string? maxWait, int? maxWindows)
    {
        var parts = new List<string>();
        if (onLimit is { Length: > 0 })
        {
            parts.Add(onLimit);
        }

        if (maxWait is { Length: > 0 })
        {
            parts.Add($"max wait {Format.Units(maxWait)}");
        }

        if (maxWindows is { } windows)
        {
            parts.Add($"max windows {windows}");
        }

        return parts.Count == 0 ? null : string.Join(", ", parts);
    }

    /// <summary>
    /// Where a parked task waits and for how long, leaving out what is not known:
    /// <c>for claude/3fa9c2d1e0b4 (limit) until 12:05:00 (in 11m), since 11:54:00; gives up at 12:09:00</c>, or for a task
    /// queued on its key <c>for key repo=web (concurrency), since 11:54:00</c>.
    /// </summary>
    public static string Wait(TaskWaiting waiting, DateTimeOffset now)
    {
        var on = waiting.OnKey ? $"key {waiting.Key ?? "?"}" : waiting.Account ?? "?";
        var text = $"for {on}" + (waiting.Reason is { Length: > 0 } reason ? $" ({reason})" : "");
        if (waiting.Until is { } until)
        {
            text += $" until {Format.Moment(until, now)} ({(until > now ? $"in {Format.Countdown(until - now)}" : $"due {Format.Age(until, now)} ago")})";
        }

        if (waiting.Since is { } since)
        {
            text += $", since {Format.Moment(since, now)}";
        }

        return waiting.Deadline is { } deadline ? $"{text}; gives up at {Format.Moment(deadline, now)}" : text;
    }

    /// <summary>
    /// A waiting task in a list: <c>waiting until 12:05:00</c>, <c>waiting: cap</c> when nobody knows until when, or
    /// <c>queued on repo=web</c> for a task queued on its key.
    /// </summary>
    public static string Short(TaskWaiting waiting, DateTimeOffset now) =>
        waiting.OnKey ? $"queued on {waiting.Key ?? "?"}"
        : waiting.Until is { } until ? $"waiting until {Format.Moment(until, now)}"
        : $"waiting: {waiting.Reason ?? "blocked"}";
}
