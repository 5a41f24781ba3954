using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Service.Tasks;

namespace Supervisor.Benchmarks;

/// <summary>
/// The service's <see cref="TaskStateMachine"/> with its endpoint definition, on MassTransit's in-memory transport and
/// in-memory saga repository, with a fake worker that reports each job started and completed at once: the ceiling of
/// the state machine and MassTransit's pipeline alone, without a broker, a database or a process per attempt.
/// </summary>
static class InMemorySaga
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var n = args.Int("n", 2000);
        var agents = new SupervisorOptions
        {
            DefaultAgent = "shell",
            Agents = { ["shell"] = new AgentOptions { Command = "/bin/sh", Args = ["-c", "{prompt}"] } },
        };
        await using var provider = new ServiceCollection()
            .AddSingleton(new AgentCatalog(Options.Create(agents)))
            .AddSingleton(TimeProvider.System)
            .AddSingleton(Options.Create(new PolicyOptions()))
            .AddMassTransit(x =>
            {
                x.DisableUsageTelemetry();
                x.AddSagaStateMachine<TaskStateMachine, TaskState, TaskStateDefinition>().InMemoryRepository();
                x.AddConsumer<FakeWorker>().Endpoint(e => e.Name = AgentQueues.Name("shell"));
                x.UsingInMemory((context, cfg) =>
                {
                    cfg.UseDelayedMessageScheduler();
                    cfg.ConfigureEndpoints(context);
                });
            })
            .BuildServiceProvider();

        var bus = provider.GetRequiredService<IBusControl>();
        var completed = new Completion(n);
        bus.ConnectConsumeMessageObserver(completed);
        await bus.StartAsync();
        try
        {
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, n).Select(_ => bus.Publish(new SubmitTask(NewId.NextGuid(), "true", ["shell"], null, null, null,
                null, false, null, "bench"))));
            if (!completed.All.Wait(TimeSpan.FromSeconds(args.Int("timeout", 300))))
            {
                Console.Error.WriteLine($"inmemory: only {completed.Count} of {n} tasks completed");
                return 1;
            }

            var seconds = clock.Elapsed.TotalSeconds;
            BenchArgs.Result("inmemory.tasks", n);
            BenchArgs.Result("inmemory.seconds", seconds);
            BenchArgs.Result("inmemory.tasks_per_s", n / seconds);
            return 0;
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    sealed class FakeWorker : IConsumer<RunAgentJob>
    {
        public async Task Consume(ConsumeContext<RunAgentJob> context)
        {
            var job = context.Message;
            var attemptId = NewId.NextGuid();
            await context.Publish(new AgentJobStarted(job.TaskId, attemptId, job.Pass, job.FirstAttempt, 0, job.Agent, "bench", "bench", null,
                DateTime.UtcNow));
            await context.Publish(new AgentJobCompleted(job.TaskId, attemptId, job.Pass, job.FirstAttempt, job.Agent, "bench", 0, DateTime.UtcNow,
                new TaskResult(job.Agent, null, null, null, null), 0, null));
        }
    }

    /// <summary>Counts completions the saga has consumed (the observer runs after the saga's pipeline).</summary>
    sealed class Completion(int expected) : IConsumeMessageObserver<AgentJobCompleted>
    {
        int _count;

        public ManualResetEventSlim All { get; } = new();

        public int Count => Volatile.Read(ref _count);

        public Task PreConsume(ConsumeContext<AgentJobCompleted> context) => Task.CompletedTask;

        public Task PostConsume(ConsumeContext<AgentJobCompleted> context)
        {
            if (Interlocked.Increment(ref _count) == expected)
                All.Set();
            return Task.CompletedTask;
        }

        public Task ConsumeFault(ConsumeContext<AgentJobCompleted> context, Exception exception) => Task.CompletedTask;
    }
}
