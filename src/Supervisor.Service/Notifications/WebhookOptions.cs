using System.Text.RegularExpressions;
using Supervisor.Contracts;

namespace Supervisor.Service.Notifications;

/// <summary><c>Supervisor:Notifications:Webhooks:NAME</c>: one receiver of notifications.</summary>
public sealed partial class WebhookOptions
{
    public const string Json = "json";
    public const string Slack = "slack";

    /// <summary>
    /// Where to POST (http or https). It may carry a secret (a Slack URL does, in its path): only its host is ever logged, and
    /// it stays in configuration (a delivery message names the webhook, not its URL).
    /// </summary>
    public string? Url { get; set; }

    /// <summary>Which kinds it is told of (<see cref="AttentionKinds"/>); empty: all of them.</summary>
    public List<string> Events { get; set; } = [];

    /// <summary><c>json</c> (the default): the event as a JSON object; <c>slack</c>: <c>{"text": "…"}</c>, for Slack's incoming webhooks and lookalikes.</summary>
    public string Format { get; set; } = Json;

    /// <summary>Headers sent with each POST (an <c>Authorization</c>, say); their values are never logged.</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// When set, each POST carries <c>X-Supervisor-Signature: sha256=HEX</c>, the HMAC-SHA256 of the body with this key, so
    /// that the receiver can tell the sender. At least 16 characters.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>Whether this webhook is told of <paramref name="kind"/>.</summary>
    public bool Wants(string kind) => Events.Count == 0 || Events.Contains(kind, StringComparer.OrdinalIgnoreCase);

    public bool IsSlack() => string.Equals(Format.Trim(), Slack, StringComparison.OrdinalIgnoreCase);

    /// <summary>The address as configured (valid once the options are validated).</summary>
    public Uri Address() => new(Url!.Trim(), UriKind.Absolute);

    internal static bool IsHttp(Uri uri) => uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps;

    static readonly string[] ReservedHeaders = ["Content-Type", "Content-Length", "Host", "Transfer-Encoding", WebhookDelivery.SignatureHeader, WebhookDelivery.DeliveryHeader];

    internal IEnumerable<string> Validate(string key, string name)
    {
        if (!NamePattern().IsMatch(name))
            yield return $"{key}: '{name}' is not a webhook name (1-64 letters, digits, '.', '_' or '-').";
        if (string.IsNullOrWhiteSpace(Url))
            yield return $"{key}:Url: required (the http or https address to POST to).";
        else if (!Uri.TryCreate(Url.Trim(), UriKind.Absolute, out var uri) || !IsHttp(uri))
            yield return $"{key}:Url: not an http or https address.";
        else if (uri.UserInfo.Length > 0)
            yield return $"{key}:Url: carries a user and password; put credentials in {key}:Headers instead.";
        for (var i = 0; i < Events.Count; i++)
        {
            if (!AttentionKinds.All.Contains(Events[i], StringComparer.OrdinalIgnoreCase))
                yield return $"{key}:Events:{i}: '{Events[i]}' is not one of {string.Join(", ", AttentionKinds.All)}.";
        }

        if (!string.Equals(Format.Trim(), Json, StringComparison.OrdinalIgnoreCase) && !IsSlack())
            yield return $"{key}:Format: '{Format}' is not {Json} or {Slack}.";
        foreach (var (header, value) in Headers)
        {
            if (!HeaderPattern().IsMatch(header) || ReservedHeaders.Contains(header, StringComparer.OrdinalIgnoreCase))
                yield return $"{key}:Headers:{header}: not a header name this webhook may set.";
            else if (value is null || value.Any(c => c is '\r' or '\n' || char.IsControl(c)))
                yield return $"{key}:Headers:{header}: the value holds a line break or control character.";
        }

        if (Secret is not null && Secret.Trim().Length < 16)
            yield return $"{key}:Secret: at least 16 characters (or unset).";
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$", RegexOptions.None, matchTimeoutMilliseconds: 100)]
    private static partial Regex NamePattern();

    // An HTTP token (RFC 9110, 5.6.2).
    [GeneratedRegex("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$", RegexOptions.None, matchTimeoutMilliseconds: 100)]
    private static partial Regex HeaderPattern();
}
