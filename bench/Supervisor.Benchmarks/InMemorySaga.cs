using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Service.Fleet;
using Supervisor.Service.Storage;
using Supervisor.Service.Tasks;

namespace Supervisor.Benchmarks;

/// <summary>
/// The service's <see cref="TaskStateMachine"/> with its endpoint definition on MassTransit's in-memory saga repository,
/// measured two ways:
/// <list type="bullet">
/// <item><c>inmemory</c>: on the in-memory transport, with a fake worker that reports each job started and completed at
/// once: the ceiling of the state machine and MassTransit's pipeline alone, without a broker, a database or a process
/// per attempt.</item>
/// <item><c>inmemory-stack</c>: on RabbitMQ (<c>--uri</c>), with the real workers that scripts/bench.sh starts against
/// the same virtual host, each attempt a real process: the end-to-end stack without its database. The start check is
/// answered "allowed" at once (its claim lives in the database). Tasks are published as <see cref="SubmitTask"/>, as
/// the API does after its validation.</item>
/// </list>
/// </summary>
static class InMemorySaga
{
    public static Task<int> RunAsync(BenchArgs args) => MeasureAsync(args, "inmemory", (x, _) =>
    {
        x.AddConsumer<FakeWorker>().Endpoint(e => e.Name = AgentQueues.Name("shell"));
        x.AddRequestClient<AttemptStartRequest>(AgentQueues.TaskStateAddress);
        x.UsingInMemory((context, cfg) =>
        {
            cfg.UseDelayedMessageScheduler();
            cfg.ConfigureEndpoints(context);
        });
    });

    public static Task<int> RunOnStackAsync(BenchArgs args) => MeasureAsync(args, "inmemory_stack", (x, a) =>
    {
        x.UsingRabbitMq((context, cfg) =>
        {
            cfg.Host(new Uri(a.Get("uri")), h => h.PublisherConfirmation = true);
            cfg.ConfigureEndpoints(context);
        });
    });

    static async Task<int> MeasureAsync(BenchArgs args, string name, Action<IBusRegistrationConfigurator, BenchArgs> transport)
    {
        var n = args.Int("n", 2000);
        var warmup = args.Int("warmup", 0);
        var timeout = TimeSpan.FromSeconds(args.Int("timeout", 600));
        var agents = new SupervisorOptions
        {
            DefaultAgent = "shell",
            Agents = { ["shell"] = new AgentOptions { Command = "/bin/sh", Args = ["-c", "{prompt}"] } },
        };
        await using var provider = new ServiceCollection()
            .AddSingleton(new AgentCatalog(Options.Create(agents)))
            .AddSingleton(TimeProvider.System)
            .AddSingleton(Options.Create(new PolicyOptions()))
            .AddSingleton(Options.Create(new FleetOptions()))
            .AddSingleton<IStorageFaults, InMemoryStoreFaults>()
            .AddLogging()
            .AddMassTransit(x =>
            {
                x.DisableUsageTelemetry();
                x.AddSagaStateMachine<TaskStateMachine, TaskState, TaskStateDefinition>().InMemoryRepository();
                transport(x, args);
            })
            .BuildServiceProvider();

        var bus = provider.GetRequiredService<IBusControl>();
        var completed = new Completion();
        bus.ConnectConsumeMessageObserver(completed);
        await bus.StartAsync();
        try
        {
            // Warm-up (inmemory-stack: the workers start after this process and are still compiling their hot code).
            if (warmup > 0 && !await SubmitAndWaitAsync(bus, completed, warmup, timeout, $"{name} warm-up"))
                return 1;
            var clock = Stopwatch.StartNew();
            if (!await SubmitAndWaitAsync(bus, completed, n, timeout, name))
                return 1;
            var seconds = clock.Elapsed.TotalSeconds;
            BenchArgs.Result($"{name}.tasks", n);
            BenchArgs.Result($"{name}.seconds", seconds);
            BenchArgs.Result($"{name}.tasks_per_s", n / seconds);
            return 0;
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    static async Task<bool> SubmitAndWaitAsync(IBus bus, Completion completed, int n, TimeSpan timeout, string what)
    {
        var all = completed.ExpectAsync(n);
        await Task.WhenAll(Enumerable.Range(0, n).Select(_ => bus.Publish(new SubmitTask(NewId.NextGuid(), "true", ["shell"], null, null, null,
            null, false, null, "bench"))));
        if (await Task.WhenAny(all, Task.Delay(timeout)) == all)
            return true;
        await Console.Error.WriteLineAsync($"{what}: only {completed.Count} of {n} tasks completed within {timeout.TotalSeconds:0} s");
        return false;
    }

    /// <summary>What a worker tells the saga about a job that succeeds at once: it takes the lease, then completes (its start folded in).</summary>
    sealed class FakeWorker(IRequestClient<AttemptStartRequest> leases) : IConsumer<RunAgentJob>
    {
        public async Task Consume(ConsumeContext<RunAgentJob> context)
        {
            var job = context.Message;
            var lease = (await leases.GetResponse<AttemptStartResponse>(new AttemptStartRequest(job.TaskId, job.Pass, 0, "bench", 0, NewId.NextGuid(), "bench"),
                context.CancellationToken)).Message;
            if (lease is not { Allowed: true, AttemptId: { } attemptId })
                throw new InvalidOperationException($"task {job.TaskId}: no lease ({lease.Reason})");
            var started = new AgentJobStarted(job.TaskId, attemptId, job.Pass, lease.Attempt, 0, job.Agent, "bench", "bench", null, DateTime.UtcNow);
            await context.Publish(new AgentJobCompleted(job.TaskId, attemptId, job.Pass, lease.Attempt, job.Agent, "bench", 0, DateTime.UtcNow,
                new TaskResult(job.Agent, null, null, null, null), 0, null, started));
        }
    }

    /// <summary>Counts completions the saga has consumed (the observer runs after the saga's pipeline).</summary>
    sealed class Completion : IConsumeMessageObserver<AgentJobCompleted>
    {
        int _count;
        int _target = int.MaxValue;
        TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Count => Volatile.Read(ref _count);

        /// <summary>Starts counting from zero towards <paramref name="n"/> completions.</summary>
        public Task ExpectAsync(int n)
        {
            _reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _count, 0);
            Volatile.Write(ref _target, n);
            return _reached.Task;
        }

        public Task PreConsume(ConsumeContext<AgentJobCompleted> context) => Task.CompletedTask;

        public Task PostConsume(ConsumeContext<AgentJobCompleted> context)
        {
            if (Interlocked.Increment(ref _count) == Volatile.Read(ref _target))
                _reached.TrySetResult();
            return Task.CompletedTask;
        }

        public Task ConsumeFault(ConsumeContext<AgentJobCompleted> context, Exception exception) => Task.CompletedTask;
    }

    /// <summary>MassTransit's in-memory saga repository raises no store failure that a retry would resolve.</summary>
    sealed class InMemoryStoreFaults : IStorageFaults
    {
        public bool IsRetryable(Exception exception) => false;

        public bool IsStoreError(Exception exception) => false;
    }
}
