using Supervisor.Hosting;
using Supervisor.Service;

return await StartErrors.RunAsync(async () =>
{
    var builder = WebApplication.CreateBuilder(SupervisorHostExtensions.ApplicationOptions(args));
    builder.AddSupervisorService();

    var app = builder.Build();
    app.MapSupervisorApi();
    await app.RunAsync();
});
