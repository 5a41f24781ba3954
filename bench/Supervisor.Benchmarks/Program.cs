using Supervisor.Benchmarks;

// Measurements for scripts/bench.sh. Each prints "RESULT <name> <value>" lines that the script turns into one table.
//   e2e      --api URL --pg CONN --n N [--concurrency C] [--rate TASKS_PER_S] [--prefix NAME] [--warmup N] [--ready FILE]
//   inmemory --n N [--warmup N]
//   inmemory-stack --uri AMQP_URI --n N [--warmup N]
//   rabbit   --uri AMQP_URI --n N
//   spawn    --n N
//   workspace --files N --n N
//   hangfire --pg CONN --n N [--warmup N] [--workers 16]
//   recovery submit|started|terminal|cancel --api URL …, recovery summary --name NAME --values "S1 S2 …" (steps around faults; Recovery.cs)
//   history  --api URL --pg CONN [--tasks 1000000] [--requests 300] [--warmup 20] [--seed 1|0] [--only NAME,...]
var options = BenchArgs.Parse(args);
return options.Command switch
{
    "e2e" => await EndToEnd.RunAsync(options),
    "inmemory" => await InMemorySaga.RunAsync(options),
    "inmemory-stack" => await InMemorySaga.RunOnStackAsync(options),
    "rabbit" => await RawRabbit.RunAsync(options),
    "spawn" => await AgentProcessFloor.RunAsync(options),
    "workspace" => await WorkspaceCost.RunAsync(options),
    "hangfire" => await HangfirePeer.RunAsync(options),
    "recovery" => await Recovery.RunAsync(args),
    "history" => await History.RunAsync(options),
    _ => BenchArgs.Usage(),
};
