using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Supervisor.Contracts;
using Supervisor.Service.Notifications;

namespace Supervisor.Tests.Notifications;

/// <summary>What a webhook receives: the JSON event or Slack's one line, each with the link to the task's page, never a credential.</summary>
public sealed class WebhookBodiesSpecs
{
    static readonly Guid TaskId = Guid.Parse("3f2c9a1e-0000-4000-8000-000000000001");
    static readonly DateTime At = new(2026, 12, 5, 2, 10, 11, DateTimeKind.Utc);

    static DeliverNotification Notification(string kind = AttentionKinds.Failed, string? state = TaskStates.Failed, string? agent = "claude",
        string? reason = "claude: Fatal: not logged in") =>
        new(Guid.NewGuid(), "team", kind, TaskId, state, agent, reason, At);

    [Fact]
    public void The_json_body_carries_the_event_task_state_agent_reason_time_and_link()
    {
        var body = JsonNode.Parse(WebhookBodies.Json(Notification(), "https://supervisor.example.org"))!.AsObject();

        Assert.Equal(["event", "taskId", "state", "agent", "reason", "at", "link"], body.Select(p => p.Key));
        Assert.Equal("failed", body["event"]!.GetValue<string>());
        Assert.Equal(TaskId, body["taskId"]!.GetValue<Guid>());
        Assert.Equal("Failed", body["state"]!.GetValue<string>());
        Assert.Equal("claude", body["agent"]!.GetValue<string>());
        Assert.Equal("claude: Fatal: not logged in", body["reason"]!.GetValue<string>());
        Assert.Equal("2026-12-05T02:10:11Z", body["at"]!.GetValue<string>());
        Assert.Equal($"https://supervisor.example.org/#/tasks/{TaskId}", body["link"]!.GetValue<string>());
    }

    [Fact]
    public void Without_a_base_url_the_link_is_the_relative_path_of_the_tasks_page()
    {
        var body = JsonNode.Parse(WebhookBodies.Json(Notification(), ""))!;

        Assert.Equal($"/#/tasks/{TaskId}", body["link"]!.GetValue<string>());
        Assert.EndsWith($" — /#/tasks/{TaskId}", WebhookBodies.SlackText(Notification(), ""), StringComparison.Ordinal);
    }

    [Fact]
    public void A_credential_in_the_reason_never_leaves_and_a_long_reason_is_cut()
    {
        var token = "ghp_" + new string('a', 36);
        var body = JsonNode.Parse(WebhookBodies.Json(Notification(reason: $"push refused for {token} " + new string('x', 5000)), ""))!;

        var reason = body["reason"]!.GetValue<string>();
        Assert.DoesNotContain(token, reason, StringComparison.Ordinal);
        Assert.Contains("[REDACTED]", reason, StringComparison.Ordinal);
        Assert.Equal(WebhookBodies.MaxReasonLength, reason.Length);
        Assert.DoesNotContain(token, WebhookBodies.Slack(Notification(reason: $"push refused for {token}"), ""), StringComparison.Ordinal);
    }

    [Fact]
    public void The_slack_body_is_one_line_of_text_with_the_facts_and_the_link_in_slacks_form()
    {
        var body = JsonNode.Parse(WebhookBodies.Slack(Notification(), "https://supervisor.example.org"))!.AsObject();

        Assert.Equal(["text"], body.Select(p => p.Key));
        Assert.Equal($"Task {TaskId} failed (state Failed, agent claude): claude: Fatal: not logged in <https://supervisor.example.org/#/tasks/{TaskId}|open the task>",
            body["text"]!.GetValue<string>());
    }

    [Fact]
    public void Slack_markup_in_the_reason_is_escaped_and_line_breaks_become_spaces()
    {
        var text = WebhookBodies.SlackText(Notification(reason: "a <b> & c\nd <!channel>"), "https://s.example");

        Assert.Contains(": a &lt;b&gt; &amp; c d &lt;!channel&gt; <https://s.example/#/tasks/", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', text);
    }

    [Theory]
    [InlineData(AttentionKinds.AwaitingApproval, "is awaiting approval")]
    [InlineData(AttentionKinds.Blocked, "is blocked by a provider limit")]
    [InlineData(AttentionKinds.DeadLettered, "has a job in a dead-letter queue")]
    public void Each_kind_has_its_own_words_and_a_missing_state_or_agent_is_left_out(string kind, string words)
    {
        var text = WebhookBodies.SlackText(Notification(kind, state: null, agent: null, reason: null), "https://s.example");

        Assert.Equal($"Task {TaskId} {words} <https://s.example/#/tasks/{TaskId}|open the task>", text);
    }

    [Fact]
    public void The_signature_is_the_hmac_sha256_of_the_body_in_hex()
    {
        const string secret = "0123456789abcdef-secret";
        var body = WebhookBodies.Json(Notification(), "");

        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));
        Assert.Equal(expected, WebhookBodies.Signature(secret, body));
    }

    [Fact]
    public void The_format_follows_the_webhooks_setting()
    {
        Assert.NotNull(JsonNode.Parse(WebhookBodies.For(new WebhookOptions { Format = "Slack" }, Notification(), ""))!["text"]);
        Assert.NotNull(JsonNode.Parse(WebhookBodies.For(new WebhookOptions(), Notification(), ""))!["event"]);
    }
}
