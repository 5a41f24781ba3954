using Supervisor.Worker;

var (agents, rest) = WorkerExtensions.ParseAgents(args);
var builder = Host.CreateApplicationBuilder(rest);
builder.AddSupervisorWorker(agents);
await builder.Build().RunAsync();
