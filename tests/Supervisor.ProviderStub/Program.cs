using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Supervisor.ProviderStub;

// Usage: Supervisor.ProviderStub [--port N]   (0 or absent: any free port; the chosen address is printed)
var port = args.SkipWhile(a => a != "--port").Skip(1).Select(int.Parse).FirstOrDefault();
var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
builder.Logging.ClearProviders().AddSimpleConsole(o => (o.SingleLine, o.TimestampFormat) = (true, "HH:mm:ss.fff "))
    .SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning);

var app = builder.Build();
app.MapStub();
await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
// The one line a launcher waits for (scripts and tests parse it).
Console.WriteLine($"Provider stub listening on {address}");
await app.WaitForShutdownAsync();
