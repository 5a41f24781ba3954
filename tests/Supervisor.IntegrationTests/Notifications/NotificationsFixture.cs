using MassTransit;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Notifications;

/// <summary>
/// One stack for <see cref="WebhookNotifications"/>' tests, with a real webhook receiver on loopback and five webhooks:
/// <c>main</c> (JSON, every kind, signed), <c>flaky</c> (awaiting approval only; its receiver answers 500 twice per task),
/// <c>slack</c> (Slack text, failed only), and <c>down</c> (every kind, to a port nothing listens on, its URL's path a
/// secret). Deliveries are retried after 2 s and 3 s, then given up. Agents: <c>ok</c> succeeds, <c>broken</c> fails at
/// once (Fatal), <c>metered</c> is on the account <c>metered/notify</c>. A bus to publish what a worker would.
/// </summary>
public sealed class NotificationsFixture : IAsyncLifetime
{
    internal const string Account = "metered/notify";
    internal const string Secret = "notification-test-secret";
    internal const string BaseUrl = "https://supervisor.example.org";
    internal const string DownPathSecret = "down-secret-path";

    internal SupervisorStack Stack { get; private set; } = null!;

    internal WebhookReceiver Receiver { get; private set; } = null!;

    internal IBusControl Bus { get; private set; } = null!;

    /// <summary>Where <c>down</c> points (host and port only, as the service may log it).</summary>
    internal string DownHost { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Receiver = await WebhookReceiver.StartAsync();
        DownHost = $"127.0.0.1:{SupervisorStack.FreePort()}";
        const string hooks = "Supervisor__Notifications__Webhooks__";
        var config = new Dictionary<string, string>
        {
            ["Supervisor__Policy__ApprovalRequiredFor__0"] = "high",
            ["Supervisor__Notifications__BaseUrl"] = BaseUrl + "/",
            ["Supervisor__Notifications__Timeout"] = "2s",
            ["Supervisor__Notifications__RetryIntervals__0"] = "2s",
            ["Supervisor__Notifications__RetryIntervals__1"] = "3s",
            [hooks + "main__Url"] = Receiver.Url("main"),
            [hooks + "main__Secret"] = Secret,
            [hooks + "main__Headers__X-Team"] = "platform",
            [hooks + "flaky__Url"] = Receiver.Url("flaky"),
            [hooks + "flaky__Events__0"] = "awaitingApproval",
            [hooks + "slack__Url"] = Receiver.Url("slack"),
            [hooks + "slack__Format"] = "slack",
            [hooks + "slack__Events__0"] = "failed",
            [hooks + "down__Url"] = $"http://{DownHost}/services/T000/B000/{DownPathSecret}",
            ["Supervisor__Agents__metered__Limits__Account"] = Account,
        };
        foreach (var (key, value) in ShellAgents.Profile("ok", "echo \"done: $0\"", ("Concurrency", "4"))
                     .Concat(ShellAgents.Profile("broken", "echo \"broken: fatal: $0\" >&2; exit 1", ("Concurrency", "4"), ("ErrorPatterns__Fatal__0", "^broken: fatal")))
                     .Concat(ShellAgents.Profile("metered", "echo \"done: $0\"", ("Concurrency", "4"))))
        {
            config[key] = value;
        }

        Stack = await SupervisorStack.StartAsync("notify", config, services: 1);
        await Stack.AddWorkerAsync("ok,broken,metered");
        Bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(new Uri(Stack.Resources.RabbitMq)));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Bus.StartAsync(timeout.Token);
    }

    public async Task DisposeAsync()
    {
        await Bus.StopAsync();
        await Stack.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}
