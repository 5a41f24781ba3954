using System.Text.RegularExpressions;

namespace Supervisor.Rules.Redaction;

/// <summary>
/// Token shapes that are credentials whatever their value: provider API keys, cloud access keys, bearer tokens, JWTs.
/// Each shape is a literal prefix followed by a run of token characters, which is what lets
/// <see cref="GrowingTokenStart"/> tell whether the end of a text may be an unfinished token.
/// </summary>
static partial class CredentialShapes
{
    // sk- carries a left boundary: without it "risk-assessment-document" or "task-0123456789abcdef" would be
    // redacted from their second letter on.
    [GeneratedRegex(@"(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{16,}", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    static partial Regex ProviderKey { get; }

    [GeneratedRegex(@"ghp_[A-Za-z0-9]{20,}", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    static partial Regex GitHubToken { get; }

    [GeneratedRegex(@"github_pat_[A-Za-z0-9_]{20,}", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    static partial Regex GitHubFineGrainedToken { get; }

    [GeneratedRegex(@"AKIA[0-9A-Z]{16}", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    static partial Regex AwsAccessKey { get; }

    [GeneratedRegex(@"AIza[0-9A-Za-z_-]{30,}", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    static partial Regex GoogleApiKey { get; }

    [GeneratedRegex(@"xox[baprs]-[A-Za-z0-9-]{10,}", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    static partial Regex SlackToken { get; }

    // Case-insensitive: HTTP header dumps print "authorization: bearer …" as often as "Bearer".
    [GeneratedRegex(@"(?i:bearer)\s+[A-Za-z0-9._~+/=-]{16,}", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    static partial Regex BearerToken { get; }

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    static partial Regex JsonWebToken { get; }

    public static IReadOnlyList<Regex> Patterns { get; } =
        [ProviderKey, GitHubToken, GitHubFineGrainedToken, AwsAccessKey, GoogleApiKey, SlackToken, BearerToken, JsonWebToken];

    static readonly Shape[] Shapes =
    [
        new(["sk-"], StringComparison.Ordinal, c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'),
        new(["ghp_"], StringComparison.Ordinal, char.IsAsciiLetterOrDigit),
        new(["github_pat_"], StringComparison.Ordinal, c => char.IsAsciiLetterOrDigit(c) || c == '_'),
        new(["AKIA"], StringComparison.Ordinal, c => char.IsAsciiDigit(c) || char.IsAsciiLetterUpper(c)),
        new(["AIza"], StringComparison.Ordinal, c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'),
        new(["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"], StringComparison.Ordinal, c => char.IsAsciiLetterOrDigit(c) || c == '-'),
        new(["bearer"], StringComparison.OrdinalIgnoreCase, c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '~' or '+' or '/' or '=' or '-', WhitespaceAfterPrefix: true),
        new(["eyJ"], StringComparison.Ordinal, c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'),
    ];

    /// <summary>
    /// Earliest position from which the rest of <paramref name="text"/> could be the beginning of a credential that
    /// more text would complete or extend: a partial prefix (<c>"gh"</c>), or a prefix followed only by token
    /// characters up to the end. <paramref name="text"/>.Length when there is none.
    /// </summary>
    public static int GrowingTokenStart(string text)
    {
        var earliest = text.Length;
        foreach (var shape in Shapes)
        {
            var runStart = text.Length;
            while (runStart > 0 && shape.IsTokenChar(text[runStart - 1]))
                runStart--;

            var spaceStart = runStart;
            while (shape.WhitespaceAfterPrefix && spaceStart > 0 && char.IsWhiteSpace(text[spaceStart - 1]))
                spaceStart--;

            foreach (var prefix in shape.Prefixes)
            {
                var from = Math.Max(0, runStart - prefix.Length);
                var at = from < earliest ? text.IndexOf(prefix, from, shape.Comparison) : -1;
                if (at >= 0)
                    earliest = Math.Min(earliest, at);

                // "Bearer", then whitespace, then the token (or not yet).
                if (spaceStart < runStart && text.AsSpan(0, spaceStart).EndsWith(prefix, shape.Comparison))
                    earliest = Math.Min(earliest, spaceStart - prefix.Length);

                for (var length = Math.Min(prefix.Length - 1, text.Length); length > 0; length--)
                {
                    if (text.AsSpan(text.Length - length).Equals(prefix.AsSpan(0, length), shape.Comparison))
                    {
                        earliest = Math.Min(earliest, text.Length - length);
                        break;
                    }
                }
            }
        }

        return earliest;
    }

    sealed record Shape(string[] Prefixes, StringComparison Comparison, Func<char, bool> IsTokenChar, bool WhitespaceAfterPrefix = false);
}
