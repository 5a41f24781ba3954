using Supervisor.Hosting;
using Supervisor.Service;

var builder = WebApplication.CreateBuilder(SupervisorHostExtensions.ApplicationOptions(args));
builder.AddSupervisorService();

var app = builder.Build();
app.MapSupervisorApi();
await app.RunAsync();
