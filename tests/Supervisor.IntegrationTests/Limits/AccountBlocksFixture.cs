using MassTransit;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Limits;

/// <summary>
/// The stack <see cref="AccountBlocks"/>' tests share (one start for all of them, not one each): each test works on
/// accounts, agents and concurrency keys of its own, so what one leaves behind (a block, a restart of the service) is
/// not what another looks at. A bus to publish what a worker would report.
/// </summary>
public sealed class AccountBlocksFixture : IAsyncLifetime
{
    internal const string MeteredOne = "metered/one";
    internal const string MeteredTwo = "metered/two";
    internal const string Capped = "capped/one";
    internal const string BudgetedOne = "budgeted/one";

    internal SupervisorStack Stack { get; private set; } = null!;

    internal IBusControl Bus { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Stack = await SupervisorStack.StartAsync("limits", new Dictionary<string, string>
        {
            ["Supervisor__Agents__codex__Limits__MaxBlock"] = "1h",
            ["Supervisor__Agents__metered__Limits__Account"] = MeteredOne,
            ["Supervisor__Agents__metered__Limits__ReleaseSpread"] = "3s",
            ["Supervisor__Agents__metered2__Limits__Account"] = MeteredTwo,
            ["Supervisor__Agents__capped__Limits__Account"] = Capped,
            ["Supervisor__Agents__capped__Limits__MaxConcurrent"] = "2",
            ["Supervisor__Agents__capped__Limits__ReleaseSpread"] = "1s",
        }.Concat(Shell("metered")).Concat(Shell("metered2")).Concat(Shell("spare")).Concat(Shell("capped", seconds: 2))
            .Concat(Shell("lingering", seconds: 60)).Concat(Budgeted()).ToDictionary(), services: 1);
        await Stack.AddWorkerAsync("metered,metered2,spare,capped,lingering,budgeted");
        Bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(new Uri(Stack.Resources.RabbitMq)));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Bus.StartAsync(timeout.Token);
    }

    public async Task DisposeAsync()
    {
        await Bus.StopAsync();
        await Stack.DisposeAsync();
    }

    /// <summary>A shell agent that prints Claude's JSON result of a run that cost $0.60, on <see cref="BudgetedOne"/> ($1.20 a day).</summary>
    static Dictionary<string, string> Budgeted() =>
        ShellAgents.Profile("budgeted", """echo '{"type":"result","subtype":"success","is_error":false,"result":"ok","total_cost_usd":0.6}'""",
            ("OutputFormat", "claude-json"), ("Concurrency", "4"), ("Limits__Account", BudgetedOne), ("Limits__DailyBudgetUsd", "1.2"));

    /// <summary>A shell agent that takes <paramref name="seconds"/> and succeeds.</summary>
    static Dictionary<string, string> Shell(string name, int seconds = 1) =>
        ShellAgents.Profile(name, $"sleep {seconds}; echo \"done: $0\"", ("Concurrency", "4"));
}
