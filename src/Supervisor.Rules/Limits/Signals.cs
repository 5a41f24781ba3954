namespace Supervisor.Rules.Limits;

/// <summary>Helpers the limit readers share: the evidence kept with a signal, and which of two signals says more.</summary>
static class Signals
{
    const int MaxEvidence = 200;

    /// <summary>A signal of <paramref name="kind"/> with <paramref name="evidence"/> cut to one short line.</summary>
    public static LimitSignal Of(LimitKind kind, string evidence, DateTime? resetAt = null, TimeSpan? resetIn = null, string? window = null) =>
        new(kind, resetAt, resetIn, window, Evidence(evidence));

    public static string Evidence(string text)
    {
        var line = string.Join(' ', text.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
        return line.Length > MaxEvidence ? line[..MaxEvidence] + "…" : line;
    }

    /// <summary>The line of <paramref name="text"/> that holds <paramref name="index"/>, from its start: the evidence of a match.</summary>
    public static string LineAt(string text, int index)
    {
        var start = text.LastIndexOf('\n', Math.Max(0, index - 1)) + 1;
        var end = text.IndexOf('\n', index);
        return text[start..(end < 0 ? text.Length : end)];
    }

    /// <summary>
    /// Of two signals of one attempt, the one that says more about the account: the graver kind (billing, then an
    /// exhausted quota, then a usage window, then a rate limit), then the one with a reset, then the later reset (a CLI's
    /// retries wait longer each time); on a tie the first, which is usually the structured one (an event before its text).
    /// </summary>
    public static LimitSignal? Stronger(LimitSignal? first, LimitSignal? second)
    {
        if (first is null || second is null)
            return first ?? second;
        if (first.Kind != second.Kind)
            return Rank(second.Kind) > Rank(first.Kind) ? second : first;
        if (first is { ResetAt: null, ResetIn: null })
            return second.ResetAt is not null || second.ResetIn is not null ? second : first;
        if (first is { ResetAt: null, ResetIn: { } a } && second is { ResetAt: null, ResetIn: { } b })
            return b > a ? second : first;
        return first;
    }

    static int Rank(LimitKind kind) => kind switch
    {
        LimitKind.Billing => 3,
        LimitKind.Quota => 2,
        LimitKind.UsageWindow => 1,
        _ => 0,
    };
}
