using System.Globalization;
using System.Text.RegularExpressions;

namespace Supervisor.Rules.Limits;

/// <summary>
/// The words CLIs use for a spent subscription window, whichever CLI prints them (a wrapper or a plain profile may pass
/// them on): Claude Code's "You've hit your limit · resets 10pm (America/New_York)", "Claude usage limit reached. Your
/// limit will reset at 1pm (Etc/GMT+5)", "Claude AI usage limit reached|1749924000"; Codex's usage_limit_reached body
/// and "You've hit your usage limit. … try again in 2 days 17 hours 14 minutes" / "… try again at Jul 5th, 2026 8:19
/// PM". And how long a text says to wait ("try again in 2 hours", "Suggested retry after 30s").
/// </summary>
static partial class UsageTexts
{
    /// <summary>A usage window that <paramref name="text"/> says is spent, with its reset when it gives one; null otherwise.</summary>
    public static LimitSignal? In(string text, LimitContext at)
    {
        if (UsageLimitBody().Match(text) is { Success: true } body)
        {
            // The Codex backend's 429 body, possibly JSON inside a JSON string (quotes escaped).
            var resetAt = Number(ResetsAt(), text) is { } unix ? ResetTimes.FromUnix(unix) : null;
            var resetIn = resetAt is null && Number(ResetsIn(), text) is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
            return Signals.Of(LimitKind.UsageWindow, Signals.LineAt(text, body.Index), resetAt, resetIn);
        }

        if (HitUsageLimit().Match(text) is { Success: true } hit)
        {
            var again = TryAgain().Match(text, hit.Index);
            return again.Groups["in"].Success
                ? Signals.Of(LimitKind.UsageWindow, Signals.LineAt(text, hit.Index), resetIn: ResetTimes.Duration(again.Groups["in"].Value))
                : Signals.Of(LimitKind.UsageWindow, Signals.LineAt(text, hit.Index), again.Groups["at"].Success ? ResetTimes.Next(again.Groups["at"].Value, at) : null);
        }

        if (ClaudeUnix().Match(text) is { Success: true } unix2)
            return Signals.Of(LimitKind.UsageWindow, Signals.LineAt(text, unix2.Index), ResetTimes.At(unix2.Groups["when"].Value, at));
        if (Resets().Match(text) is { Success: true } resets && ResetTimes.At(resets.Groups["when"].Value, at) is { } when)
            return Signals.Of(LimitKind.UsageWindow, Signals.LineAt(text, resets.Index), when);

        return UsageLimitReached().Match(text) is { Success: true } reached ? Signals.Of(LimitKind.UsageWindow, Signals.LineAt(text, reached.Index)) : null;
    }

    /// <summary>How long <paramref name="text"/> says to wait before trying again; null when it does not.</summary>
    public static TimeSpan? RetryIn(string text)
    {
        TimeSpan? longest = null;
        foreach (Match m in RetryPhrase().Matches(text))
        {
            var value = m.Groups["d"].Value;
            var delay = ResetTimes.Duration(value)
                ?? (long.TryParse(BareNumber().Match(value).Value, CultureInfo.InvariantCulture, out var seconds) ? TimeSpan.FromSeconds(seconds) : null);
            if (delay is { } d && (longest is null || d > longest))
                longest = d;
        }

        return longest;
    }

    static long? Number(Regex field, string text) =>
        field.Match(text) is { Success: true } m && long.TryParse(m.Groups["n"].Value, CultureInfo.InvariantCulture, out var n) ? n : null;

    [GeneratedRegex(@"\\?""type\\?""\s*:\s*\\?""usage_limit_reached\\?""", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex UsageLimitBody();

    [GeneratedRegex(@"\\?""resets_at\\?""\s*:\s*(?<n>\d+)", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ResetsAt();

    [GeneratedRegex(@"\\?""resets_in_seconds\\?""\s*:\s*(?<n>\d+)", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ResetsIn();

    [GeneratedRegex(@"Claude (?:AI )?usage limit reached\|(?<when>\d{9,11})", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ClaudeUnix();

    // "You've hit your limit · resets 10pm (…)", "You've hit your session limit · resets …", "5-hour limit reached ∙ resets 2am",
    // "Claude usage limit reached. Your limit will reset at 1pm (…)": a limit, then when it resets.
    [GeneratedRegex(@"\blimit\b[^\n]{0,60}?\bresets?\s+(?:at\s+)?(?<when>[^\n]{1,60})", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Resets();

    [GeneratedRegex(@"You(?:'|’)ve hit your usage limit", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex HitUsageLimit();

    [GeneratedRegex(@"try again (?:in (?<in>[^\n]+)|at (?<at>[^\n]+))", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex TryAgain();

    [GeneratedRegex(@"\busage limit (?:has been |was )?reached\b", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex UsageLimitReached();

    [GeneratedRegex(@"(?:try again in|retry in|retry after|retry-after:?|retryDelay\\?""?\s*:\s*\\?""?)\s*(?<d>\d[^\n]{0,40})", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex RetryPhrase();

    [GeneratedRegex(@"^\s*\d+(?!\s*[a-z\d])", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex BareNumber();
}
