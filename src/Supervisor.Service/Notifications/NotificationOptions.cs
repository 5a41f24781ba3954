using Supervisor.Contracts;
using Supervisor.Settings;

namespace Supervisor.Service.Notifications;

/// <summary>
/// <c>Supervisor:Notifications</c>: the webhooks told when a task needs a person (<see cref="AttentionKinds"/>), where the
/// links they carry point, and how their deliveries are retried.
/// </summary>
public sealed class NotificationOptions : IValidatedOptions
{
    public const string Section = "Supervisor:Notifications";

    /// <summary>Delivery attempts after the first fails, when <see cref="RetryIntervals"/> is empty: 10s, 1m, 5m, 15m, 1h.</summary>
    public static readonly IReadOnlyList<TimeSpan> DefaultRetryIntervals =
        [TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromHours(1)];

    /// <summary>
    /// The dashboard's public address (<c>https://supervisor.example.org</c>): each notification links to
    /// <c>{BaseUrl}/#/tasks/{id}</c>. Unset: the link is the relative <c>/#/tasks/{id}</c>.
    /// </summary>
    public string? BaseUrl { get; set; }

    /// <summary>
    /// How long one POST may take (connecting included) before it counts as failed; 1s to 30s, below the shortest
    /// <c>Supervisor:Watchdog:StuckAfter</c>, so that a receiver that hangs never looks like a wedged service.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The waits before each retry of a failed delivery (scheduled, not held by a consumer); empty: <see cref="DefaultRetryIntervals"/>.</summary>
    public List<TimeSpan> RetryIntervals { get; set; } = [];

    /// <summary>The webhooks by name (letters, digits, <c>.</c>, <c>_</c>, <c>-</c>): the name is what logs and dead letters show.</summary>
    public Dictionary<string, WebhookOptions> Webhooks { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<TimeSpan> EffectiveRetryIntervals => RetryIntervals.Count > 0 ? RetryIntervals : DefaultRetryIntervals;

    /// <summary><see cref="BaseUrl"/> without its trailing slash, or empty.</summary>
    public string LinkBase => BaseUrl?.Trim().TrimEnd('/') ?? "";

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!string.IsNullOrWhiteSpace(BaseUrl)
            && (!Uri.TryCreate(BaseUrl.Trim(), UriKind.Absolute, out var baseUri) || !WebhookOptions.IsHttp(baseUri) || baseUri.Query.Length > 0 || baseUri.Fragment.Length > 0
                || baseUri.UserInfo.Length > 0))
        {
            errors.Add($"{Section}:BaseUrl: '{BaseUrl}' is not an http or https address without user, query or fragment (https://supervisor.example.org).");
        }

        if (Timeout < TimeSpan.FromSeconds(1) || Timeout > TimeSpan.FromSeconds(30))
            errors.Add($"{Section}:Timeout: must be between 1s and 30s (it is {Timeout}).");
        if (RetryIntervals.Count > 20)
            errors.Add($"{Section}:RetryIntervals: at most 20 retries (there are {RetryIntervals.Count}).");
        for (var i = 0; i < RetryIntervals.Count; i++)
        {
            if (RetryIntervals[i] <= TimeSpan.Zero || RetryIntervals[i] > TimeSpan.FromDays(1))
                errors.Add($"{Section}:RetryIntervals:{i}: must be above 0 and at most 1d (it is {RetryIntervals[i]}).");
        }

        foreach (var (name, webhook) in Webhooks)
            errors.AddRange(webhook.Validate($"{Section}:Webhooks:{name}", name));
        return errors;
    }
}
