using System.Diagnostics.CodeAnalysis;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Service.Tasks;

namespace Supervisor.Tests.Tasks;

/// <summary>
/// The task saga on MassTransit's in-memory test harness: no broker, no database, and a clock the spec moves on instead of
/// waiting for a schedule. Agents: <c>a</c> falls back to <c>b</c> (the default chain), <c>c</c> stands alone.
/// </summary>
sealed class TaskSagaHarness(ServiceProvider provider, ITestHarness harness, TestClock clock, TestScheduler scheduler)
    : IAsyncDisposable
{
    static readonly CancellationToken SoFar = new(canceled: true);

    readonly ISagaStateMachineTestHarness<TaskStateMachine, TaskState> _saga = harness.GetSagaStateMachineHarness<TaskStateMachine, TaskState>();

    public ITestHarness Harness => harness;

    public TestScheduler Scheduler => scheduler;

    /// <summary>Starts the saga under <paramref name="policy"/>; by default high-risk tasks wait for approval, without a timeout.</summary>
    public static async Task<TaskSagaHarness> Start(PolicyOptions? policy = null)
    {
        var options = new SupervisorOptions
        {
            DefaultAgent = "a",
            Agents =
            {
                ["a"] = new AgentOptions { Command = "/bin/true", Fallback = "b" },
                ["b"] = new AgentOptions { Command = "/bin/true" },
                ["c"] = new AgentOptions { Command = "/bin/true" },
            },
        };
        var clock = new TestClock();
        var scheduler = new TestScheduler(clock);
        var provider = new ServiceCollection()
            .AddSingleton(new AgentCatalog(Options.Create(options)))
            .AddSingleton<TimeProvider>(clock)
            // no console logger: the harness's debug trace of every message buries the test results
            .AddLogging()
            .AddSingleton(Options.Create(policy ?? new PolicyOptions { ApprovalRequiredFor = ["high"] }))
            .AddMassTransitTestHarness(x =>
            {
                x.AddSagaStateMachine<TaskStateMachine, TaskState>().InMemoryRepository();
                x.UsingInMemory((context, cfg) =>
                {
                    cfg.UseFilter(scheduler);
                    cfg.ConfigureEndpoints(context);
                });
            })
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        return new TaskSagaHarness(provider, harness, clock, scheduler);
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await provider.DisposeAsync();
    }

    /// <summary>The saga's time: the real time plus however far the spec moved it on.</summary>
    public DateTime Now => clock.GetUtcNow().UtcDateTime;

    public async Task<Guid> Submit(Guid? id = null, IReadOnlyList<string>? agents = null, string? risk = null, DateTime? runAt = null)
    {
        var taskId = id ?? NewId.NextGuid();
        await Publish(new SubmitTask(taskId, "echo hi", agents, null, risk, null, null, false, null, "spec", runAt));
        return taskId;
    }

    public Task Publish<T>(T message) where T : class => Harness.Bus.Publish(message);

    /// <summary>Publishes <paramref name="message"/> and waits until the saga has consumed it.</summary>
    public async Task PublishAndWait<T>(T message)
        where T : class
    {
        var messageId = NewId.NextGuid();
        await Harness.Bus.Publish(message, context => context.MessageId = messageId);
        await Consumed(messageId);
    }

    /// <summary>Asks the saga for the task's lease as a worker's delivery <paramref name="claim"/> would, before it starts an attempt.</summary>
    public async Task<AttemptStartResponse> Lease(Guid id, int pass, string worker, Guid? claim = null, double waited = 0) =>
        (await Harness.GetRequestClient<AttemptStartRequest>().GetResponse<AttemptStartResponse>(
            new AttemptStartRequest(id, pass, 0, worker, waited, claim ?? NewId.NextGuid(), "host"))).Message;

    /// <summary>Moves the clock on without sending anything that fell due.</summary>
    public void Wait(TimeSpan by) => clock.Advance(by);

    /// <summary>What MassTransit publishes when a job's retries are exhausted (or it failed fatally) on a worker.</summary>
    public Task Fault(Guid id, int pass, string agent)
    {
        var job = new RunAgentJob(id, pass, 1, agent, "echo hi", null, null, null, false);
        return Harness.Bus.Publish<Fault<RunAgentJob>>(new
        {
            Message = job,
            FaultId = NewId.NextGuid(),
            Timestamp = DateTime.UtcNow,
            Exceptions = new[] { new { ExceptionType = "AgentAttemptException", Message = "AgentFailure: exited with code 1" } },
            FaultMessageTypes = new[] { "urn:message:Supervisor.Contracts:RunAgentJob" },
        });
    }

    /// <summary>The jobs sent for a task so far, with where they were sent.</summary>
    /// <remarks>
    /// Without waiting for more, as the harness would until the bus is quiet: the saga sends a job before it records the
    /// transition a spec waits for, so what a spec asserts after <see cref="InState"/> is already here.
    /// </remarks>
    public IEnumerable<ISentMessage<RunAgentJob>> JobsOf(Guid id) =>
        Harness.Sent.Select<RunAgentJob>(m => m.Context.Message.TaskId == id, SoFar);

    /// <summary>
    /// Moves the clock on and sends whatever fell due, then waits until the saga has consumed it: what the spec sees next
    /// is the state after the schedules of that time.
    /// </summary>
    public async Task AdvanceTime(TimeSpan by)
    {
        clock.Advance(by);
        foreach (var sent in await Scheduler.SendDue(Harness.Bus))
            await Consumed(sent);
    }

    // Polls a snapshot up to a deadline: the harness's own wait (Consumed.Any) ends when the bus looks idle, which on a
    // loaded machine can be before the in-memory transport delivered what was just sent.
    [SuppressMessage("Usage", "VSTHRD103", Justification = "The harness's Select is a snapshot of what was consumed; the deadline is ours.")]
    async Task Consumed(Guid messageId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!Harness.Consumed.Select(m => m.Context.MessageId == messageId, SoFar).Any())
        {
            if (DateTime.UtcNow >= deadline)
                throw new Xunit.Sdk.XunitException($"the message {messageId} was sent but not consumed within 10s");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until the task is in <paramref name="state"/> (and <paramref name="also"/> holds), or fails saying where it is.</summary>
    [SuppressMessage("Usage", "VSTHRD103", Justification = "The harness's Select is a snapshot of what was published; SelectAsync would wait for the bus to go quiet.")]
    public async Task<TaskState> InState(Guid id, Func<TaskStateMachine, State> state, Func<TaskState, bool>? also = null)
    {
        var machine = _saga.StateMachine;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var instance = _saga.Sagas.Contains(id);
            if (instance is not null && instance.CurrentState == state(machine).Name && (also is null || also(instance)))
                return instance;
            await Task.Delay(20);
        }

        var current = _saga.Sagas.Contains(id);
        var transitions = string.Join(", ", current?.Transitions.Select(t => $"{t.From}→{t.To}") ?? []);
        var faults = string.Join("; ", Harness.Published.Select<Fault>().Select(f => string.Join(",", f.Context.Message.Exceptions.Select(e => e?.Message))));
        throw new Xunit.Sdk.XunitException($"task {id} did not reach {state(machine).Name}; it is {current?.CurrentState ?? "missing"} (pass {current?.Pass}, transitions {transitions}); faults: {faults}");
    }
}
