using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Supervisor.Contracts;
using Supervisor.Rules.Redaction;

namespace Supervisor.Service.Notifications;

/// <summary>What a webhook receives: the JSON event, or Slack's <c>{"text": "…"}</c>; both without credentials in the reason.</summary>
public static class WebhookBodies
{
    /// <summary>A reason longer than this is cut (an agent's error text can be long): a notification points to the task's page.</summary>
    public const int MaxReasonLength = 1000;

    static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>The body of the JSON format: <c>{event, taskId, state, agent, reason, at, link}</c>.</summary>
    public sealed record JsonBody(string Event, Guid TaskId, string? State, string? Agent, string? Reason, DateTime At, string Link);

    /// <summary>The dashboard's page of the task: <c>{linkBase}/#/tasks/{id}</c>, relative when there is no base.</summary>
    public static string Link(string linkBase, Guid taskId) => $"{linkBase}/#/tasks/{taskId}";

    public static string For(WebhookOptions webhook, DeliverNotification notification, string linkBase) =>
        webhook.IsSlack() ? Slack(notification, linkBase) : Json(notification, linkBase);

    public static string Json(DeliverNotification n, string linkBase) =>
        JsonSerializer.Serialize(new JsonBody(n.Kind, n.TaskId, n.State, n.Agent, Reason(n.Reason), AsUtc(n.At), Link(linkBase, n.TaskId)), Web);

    public static string Slack(DeliverNotification n, string linkBase) => JsonSerializer.Serialize(new { text = SlackText(n, linkBase) }, Web);

    /// <summary>
    /// One line: what happened to which task, its state and agent, why, and the link in Slack's <c>&lt;url|text&gt;</c>
    /// form (a relative link, which Slack cannot open, is written out as it is). Slack's control characters are escaped.
    /// </summary>
    public static string SlackText(DeliverNotification n, string linkBase)
    {
        var facts = string.Join(", ", new[] { n.State is null ? null : $"state {n.State}", n.Agent is null ? null : $"agent {n.Agent}" }.Where(f => f is not null));
        var text = $"Task {n.TaskId} {Headline(n.Kind)}";
        if (facts.Length > 0)
            text += $" ({Escape(facts)})";
        if (Reason(n.Reason) is { Length: > 0 } reason)
            text += $": {Escape(reason)}";
        var link = Link(linkBase, n.TaskId);
        return text + (linkBase.Length > 0 ? $" <{link}|open the task>" : $" — {Escape(link)}");
    }

    /// <summary><c>sha256=HEX</c>: the HMAC-SHA256 of <paramref name="body"/> with <paramref name="secret"/>.</summary>
    public static string Signature(string secret, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    static string Headline(string kind) => kind switch
    {
        AttentionKinds.AwaitingApproval => "is awaiting approval",
        AttentionKinds.Failed => "failed",
        AttentionKinds.Blocked => "is blocked by a provider limit",
        AttentionKinds.DeadLettered => "has a job in a dead-letter queue",
        _ => $"needs attention ({Escape(kind)})",
    };

    /// <summary>Without credentials (the sources redact already; this is the last place before the text leaves), and short.</summary>
    static string? Reason(string? reason)
    {
        var redacted = SecretRedactor.RedactCredentials(reason?.Trim());
        return redacted is { Length: > MaxReasonLength } ? redacted[..(MaxReasonLength - 1)] + "…" : redacted;
    }

    // Slack reads &, < and > as markup (https://api.slack.com/reference/surfaces/formatting#escaping).
    static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal).ReplaceLineEndings(" ");

    static DateTime AsUtc(DateTime at) => at.Kind == DateTimeKind.Local ? at.ToUniversalTime() : DateTime.SpecifyKind(at, DateTimeKind.Utc);
}
