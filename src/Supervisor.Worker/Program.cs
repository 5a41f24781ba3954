using Supervisor.Hosting;
using Supervisor.Worker;

return await StartErrors.RunAsync(async () =>
{
    var (agents, rest) = WorkerExtensions.ParseAgents(args);
    var builder = Host.CreateApplicationBuilder(SupervisorHostExtensions.HostSettings(rest));
    builder.AddSupervisorWorker(agents);
    await builder.Build().RunAsync();
});
