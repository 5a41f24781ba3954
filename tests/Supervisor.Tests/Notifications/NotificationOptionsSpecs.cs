using Supervisor.Contracts;
using Supervisor.Service.Notifications;

namespace Supervisor.Tests.Notifications;

/// <summary><c>Supervisor:Notifications</c>: every value checked at start, each error naming its full key.</summary>
public sealed class NotificationOptionsSpecs
{
    const string Key = "Supervisor:Notifications";

    static NotificationOptions With(string name, WebhookOptions webhook) => new() { Webhooks = { [name] = webhook } };

    [Fact]
    public void No_webhooks_and_the_defaults_are_valid()
    {
        var options = new NotificationOptions();

        Assert.Empty(options.Validate());
        Assert.Equal(NotificationOptions.DefaultRetryIntervals, options.EffectiveRetryIntervals);
        Assert.Equal("", options.LinkBase);
    }

    [Fact]
    public void A_webhook_with_a_url_and_nothing_else_is_valid_and_wants_every_kind()
    {
        var webhook = new WebhookOptions { Url = "https://hooks.slack.com/services/T0/B0/secret" };

        Assert.Empty(With("team", webhook).Validate());
        Assert.All(AttentionKinds.All, kind => Assert.True(webhook.Wants(kind)));
    }

    [Fact]
    public void A_webhook_wants_only_the_kinds_it_names()
    {
        var webhook = new WebhookOptions { Url = "http://127.0.0.1:9000/hook", Events = ["failed", "DeadLettered"] };

        Assert.Empty(With("ops", webhook).Validate());
        Assert.True(webhook.Wants(AttentionKinds.Failed));
        Assert.True(webhook.Wants(AttentionKinds.DeadLettered));
        Assert.False(webhook.Wants(AttentionKinds.AwaitingApproval));
    }

    [Theory]
    [InlineData(null, "Supervisor:Notifications:Webhooks:team:Url: required")]
    [InlineData("ftp://example.org/x", "Supervisor:Notifications:Webhooks:team:Url: not an http or https address.")]
    [InlineData("/hook", "Supervisor:Notifications:Webhooks:team:Url: not an http or https address.")]
    [InlineData("https://user:pw@example.org/x", "Supervisor:Notifications:Webhooks:team:Url: carries a user and password")]
    public void A_missing_or_wrong_url_names_its_key(string? url, string error)
    {
        var errors = With("team", new WebhookOptions { Url = url }).Validate();

        Assert.StartsWith(error, Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_event_format_header_or_short_secret_names_its_key()
    {
        var errors = With("team", new WebhookOptions
        {
            Url = "https://example.org/hook",
            Events = ["failed", "succeeded"],
            Format = "xml",
            Headers = { ["Content-Type"] = "text/plain", ["X-Token"] = "a\r\nInjected: yes", ["bad header"] = "x" },
            Secret = "short",
        }).Validate();

        Assert.Equal(
        [
            "Supervisor:Notifications:Webhooks:team:Events:1: 'succeeded' is not one of awaitingApproval, failed, blocked, deadLettered.",
            "Supervisor:Notifications:Webhooks:team:Format: 'xml' is not json or slack.",
            "Supervisor:Notifications:Webhooks:team:Headers:Content-Type: not a header name this webhook may set.",
            "Supervisor:Notifications:Webhooks:team:Headers:X-Token: the value holds a line break or control character.",
            "Supervisor:Notifications:Webhooks:team:Headers:bad header: not a header name this webhook may set.",
            "Supervisor:Notifications:Webhooks:team:Secret: at least 16 characters (or unset).",
        ], errors);
    }

    [Fact]
    public void A_webhook_name_that_would_not_read_well_in_a_log_is_refused()
    {
        var errors = With("team alerts", new WebhookOptions { Url = "https://example.org/hook" }).Validate();

        Assert.StartsWith("Supervisor:Notifications:Webhooks:team alerts: 'team alerts' is not a webhook name", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("supervisor.example.org")]
    [InlineData("https://supervisor.example.org/?x=1")]
    [InlineData("https://supervisor.example.org/#/tasks")]
    public void A_base_url_that_is_not_a_plain_http_address_names_its_key(string baseUrl)
    {
        var errors = new NotificationOptions { BaseUrl = baseUrl }.Validate();

        Assert.StartsWith($"{Key}:BaseUrl: '{baseUrl}' is not an http or https address", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void A_base_url_with_a_path_and_a_trailing_slash_makes_links_below_that_path()
    {
        var options = new NotificationOptions { BaseUrl = "https://example.org/supervisor/" };

        Assert.Empty(options.Validate());
        Assert.Equal("https://example.org/supervisor", options.LinkBase);
    }

    [Fact]
    public void A_timeout_or_retry_interval_out_of_bounds_names_its_key()
    {
        var errors = new NotificationOptions
        {
            Timeout = TimeSpan.FromMinutes(1),
            RetryIntervals = [TimeSpan.FromSeconds(1), TimeSpan.Zero],
        }.Validate();

        Assert.Equal(
        [
            $"{Key}:Timeout: must be between 1s and 30s (it is 00:01:00).",
            $"{Key}:RetryIntervals:1: must be above 0 and at most 1d (it is 00:00:00).",
        ], errors);
    }
}
