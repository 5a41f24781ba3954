using System.Text.RegularExpressions;
using Supervisor.Contracts;

namespace Supervisor.Rules.Interpretation;

/// <summary>
/// The failure class of a provider error, from its HTTP status and the CLI's words for it. Quota and billing come
/// first: providers report an exhausted quota with a 429 too, and waiting does not refill it, so the agent is given
/// up on at once (<c>Fatal</c>) and the task falls back. Then the status decides where there is one; the words only
/// where there is none (a lost connection has no status).
/// </summary>
static partial class ProviderErrors
{
    public static string? Classify(int? status, string text) => status switch
    {
        _ when Quota().IsMatch(text) => ErrorClasses.Fatal,
        401 or 403 => ErrorClasses.Fatal,
        429 => ErrorClasses.RateLimited,
        >= 500 => ErrorClasses.Retryable,
        408 or 409 => ErrorClasses.Retryable,
        // Any other 4xx is a request the provider will never accept as configured (model name, option): retrying is pointless.
        >= 400 and < 500 => ErrorClasses.Fatal,
        _ when Authentication().IsMatch(text) => ErrorClasses.Fatal,
        _ when RateLimit().IsMatch(text) => ErrorClasses.RateLimited,
        _ when Transient().IsMatch(text) => ErrorClasses.Retryable,
        _ => null,
    };

    /// <summary>An HTTP status named in a CLI's error message ("last status: 429", "unexpected status 401", "HTTP 503").</summary>
    public static int? StatusIn(string text) =>
        StatusPattern().Match(text) is { Success: true } m ? int.Parse(m.Groups["status"].Value, System.Globalization.CultureInfo.InvariantCulture) : null;

    public static string Describe(int? status, string message) => status is { } s ? $"HTTP {s}: {Trim(message)}" : Trim(message);

    public static string Trim(string text)
    {
        var line = string.Join(' ', text.Split((char[])['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length > 300 ? line[..300] + "…" : line;
    }

    [GeneratedRegex(@"(?i)billing|credit balance|quota exceeded|insufficient_quota|exceeded your current quota|exhausted your daily quota|QuotaFailure|TerminalQuotaError", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Quota();

    [GeneratedRegex(@"(?i)authentication|unauthori[sz]ed|invalid api key|incorrect api key|api key not valid|API_KEY_INVALID|\bUNAUTHENTICATED\b|not logged in|PERMISSION_DENIED", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Authentication();

    [GeneratedRegex(@"(?i)rate[_ ]?limit|too many requests|\bRESOURCE_EXHAUSTED\b|resource has been exhausted", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex RateLimit();

    [GeneratedRegex(@"(?i)overloaded|at capacity|high demand|server[_ ]error|internal (?:server )?error|\bUNAVAILABLE\b|\bINTERNAL\b|connection|ECONNRESET|ECONNREFUSED|ETIMEDOUT|stream disconnected|fetch failed|socket hang up|other side closed|network", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Transient();

    [GeneratedRegex(@"(?i)(?:status(?: code)?:?|HTTP)\s*(?<status>[1-5]\d\d)\b", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex StatusPattern();
}
