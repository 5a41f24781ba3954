using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Supervisor.Hosting;

namespace Supervisor.Tests.Hosting;

/// <summary>MassTransit carries trace context only while someone listens: tracing listens only when it is asked for.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetrySpecs
{
    static async Task<bool> ListensAsync(params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)));
        builder.AddSupervisorDefaults("telemetry-spec");
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            return SupervisorTelemetry.Source.HasListeners();
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Tracing_listens_when_it_is_enabled() =>
        Assert.True(await ListensAsync(("Supervisor:Tracing:Enabled", "true")));

    [Fact]
    public async Task Nothing_listens_by_default() =>
        Assert.False(await ListensAsync());
}

/// <summary>The activity source is process-wide: these specs must not overlap.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "telemetry";
}
