using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Supervisor.Rules.Redaction;

/// <summary>
/// Replaces configured secret values and credential-shaped tokens with <c>[REDACTED]</c> in one output stream that
/// arrives in arbitrary pieces. Text is emitted as soon as it is known not to be the beginning of a secret: only a
/// trailing piece that could still grow into one (a prefix of a configured value, or of a credential shape that
/// has not ended yet) is held back until more text or <see cref="Flush"/> decides it. One instance per stream.
/// </summary>
public sealed class SecretRedactor
{
    public const string Marker = "[REDACTED]";

    /// <summary>Secrets shorter than this are ignored: redacting "abc" everywhere would shred the output.</summary>
    public const int MinimumSecretLength = 4;

    /// <summary>
    /// Upper bound of the hold-back. A "token" longer than this (a base64 blob, say) is not a credential; holding it
    /// longer would only stall the live log. Always at least the longest configured secret.
    /// </summary>
    const int MaxHoldChars = 16 * 1024;

    readonly string[] _knownSecrets;
    readonly int _maxHold;
    string _pending = "";

    // The character emitted just before pending: lookbehinds (sk-'s left boundary) must see the same
    // neighbour however the stream was cut, or a token-like word would be redacted only when split there.
    string _context = "";

    public SecretRedactor(IEnumerable<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        _knownSecrets = secrets
            .Where(s => !string.IsNullOrWhiteSpace(s) && s.Length >= MinimumSecretLength)
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        _maxHold = Math.Max(MaxHoldChars, _knownSecrets.Length == 0 ? 0 : _knownSecrets.Max(s => s.Length));
    }

    /// <summary>
    /// <paramref name="text"/> with every credential-shaped token (<see cref="CredentialShapes"/>) replaced by
    /// <see cref="Marker"/>: for texts that are stored whole (a task's prompt, an error text), by the same rules as the
    /// agents' output. Null stays null.
    /// </summary>
    [return: NotNullIfNotNull(nameof(text))]
    public static string? RedactCredentials(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return text;
        var redactor = new SecretRedactor([]);
        return redactor.Push(text) + redactor.Flush();
    }

    /// <summary>Adds <paramref name="chunk"/> and returns the redacted text that is safe to emit now.</summary>
    public string Push(string chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (chunk.Length == 0)
            return "";

        var text = _pending + chunk;
        var matches = FindMatches(text);
        var cut = Math.Min(text.Length, Math.Min(SecretPrefixStart(text), CredentialShapes.GrowingTokenStart(text)));

        // Never split a match: its remainder alone would no longer be recognised.
        cut = MoveOutOfMatch(matches, cut, towardsEnd: false);
        if (text.Length - cut > _maxHold)
            cut = MoveOutOfMatch(matches, text.Length - _maxHold, towardsEnd: true);

        var emitted = Redact(text, matches, cut);
        if (cut > 0)
            _context = text[(cut - 1)..cut];

        _pending = text[cut..];
        return emitted;
    }

    /// <summary>Returns everything still held back, redacted; call at end of stream.</summary>
    public string Flush()
    {
        var text = _pending;
        var emitted = Redact(text, FindMatches(text), text.Length);
        _pending = "";
        _context = "";
        return emitted;
    }

    /// <summary>Merged, sorted [start, end) ranges of every secret and credential-shaped match in <paramref name="text"/>.</summary>
    List<(int Start, int End)> FindMatches(string text)
    {
        var ranges = new List<(int Start, int End)>();
        foreach (var secret in _knownSecrets)
        {
            for (var i = text.IndexOf(secret, StringComparison.Ordinal); i >= 0; i = text.IndexOf(secret, i + 1, StringComparison.Ordinal))
                ranges.Add((i, i + secret.Length));
        }

        var withContext = _context + text;
        foreach (var pattern in CredentialShapes.Patterns)
        {
            // Matching from an offset lets lookbehinds see the context while matches still start in text.
            for (var match = pattern.Match(withContext, _context.Length); match.Success; match = match.NextMatch())
                ranges.Add((match.Index - _context.Length, match.Index - _context.Length + match.Length));
        }

        ranges.Sort();
        var merged = new List<(int Start, int End)>(ranges.Count);
        foreach (var range in ranges)
        {
            if (merged.Count > 0 && range.Start <= merged[^1].End)
                merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, range.End));
            else
                merged.Add(range);
        }

        return merged;
    }

    /// <summary>Earliest position from which the rest of <paramref name="text"/> is a proper prefix of a configured secret.</summary>
    int SecretPrefixStart(string text)
    {
        var start = text.Length;
        foreach (var secret in _knownSecrets)
        {
            for (var i = Math.Max(0, text.Length - secret.Length + 1); i < start; i++)
            {
                if (secret.AsSpan().StartsWith(text.AsSpan(i), StringComparison.Ordinal))
                {
                    start = i;
                    break;
                }
            }
        }

        return start;
    }

    static int MoveOutOfMatch(List<(int Start, int End)> matches, int cut, bool towardsEnd)
    {
        foreach (var (start, end) in matches)
        {
            if (start < cut && cut < end)
                return towardsEnd ? end : start;
        }

        return cut;
    }

    static string Redact(string text, List<(int Start, int End)> matches, int length)
    {
        var output = new StringBuilder(length);
        var position = 0;
        foreach (var (start, end) in matches)
        {
            if (start >= length)
                break;

            output.Append(text, position, start - position).Append(Marker);
            position = end;
        }

        if (position < length)
            output.Append(text, position, length - position);

        return output.ToString();
    }
}
