using Supervisor.Service;

var builder = WebApplication.CreateBuilder(args);
builder.AddSupervisorService();

var app = builder.Build();
app.MapSupervisorApi();
await app.RunAsync();
