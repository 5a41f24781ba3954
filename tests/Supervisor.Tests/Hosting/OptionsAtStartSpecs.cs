using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Supervisor.Settings;
using Supervisor.Worker;

namespace Supervisor.Tests.Hosting;

/// <summary>A bad setting stops the process at start, and the message names its full key and the reason.</summary>
public sealed class OptionsAtStartSpecs
{
    static Task<Exception> StartFailsAsync(Action<HostApplicationBuilder> configure, params (string Key, string Value)[] settings)
    {
        DurationConverter.Register();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)));
        configure(builder);
        return Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var host = builder.Build();
            await host.StartAsync();
        });
    }

    static string Messages(Exception e) => e.InnerException is null ? e.Message : e.Message + " | " + Messages(e.InnerException);

    static void Sample(HostApplicationBuilder builder) => builder.Services.AddValidatedOptions<SampleOptions>("Sample");

    [Fact]
    public async Task A_bare_number_for_a_duration_names_its_key_and_how_to_write_it()
    {
        var e = await StartFailsAsync(Sample, ("Sample:Timeout", "2"));

        Assert.Equal("Sample:Timeout: '2' has no unit: write 2s for seconds (or 2ms, 2m, 2h, 2d), or hh:mm:ss such as 00:00:30",
            Assert.IsType<OptionsValidationException>(e).Failures.First());
    }

    [Fact]
    public async Task A_duration_that_is_no_duration_at_all_names_its_key()
    {
        var messages = Messages(await StartFailsAsync(Sample, ("Sample:Optional", "soon")));

        Assert.Contains("'Sample:Optional'", messages, StringComparison.Ordinal);
        Assert.Contains("'soon' is not a duration", messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bare_number_in_a_list_of_durations_is_not_dropped_silently()
    {
        var e = await StartFailsAsync(Sample, ("Sample:Intervals:0", "5s"), ("Sample:Intervals:1", "5"));

        var failure = Assert.IsType<OptionsValidationException>(e);
        Assert.Equal(["Sample:Intervals:1: '5' has no unit: write 5s for seconds (or 5ms, 5m, 5h, 5d), or hh:mm:ss such as 00:00:30"], failure.Failures);
    }

    [Fact]
    public async Task A_duration_inside_a_dictionary_entry_names_its_whole_key()
    {
        var e = await StartFailsAsync(Sample, ("Sample:Nested:inner:Intervals:0", "1 minute"));

        Assert.Contains("Sample:Nested:inner:Intervals:0: '1 minute' is not a duration", Messages(e), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_the_options_refuse_names_its_key_and_the_reason()
    {
        var e = await StartFailsAsync(Sample, ("Sample:Timeout", "2h"));

        Assert.Equal(["Sample:Timeout: must be at most 1h."], Assert.IsType<OptionsValidationException>(e).Failures);
    }

    [Fact]
    public async Task The_worker_refuses_a_heartbeat_written_as_a_bare_number()
    {
        var messages = Messages(await StartFailsAsync(b => b.AddSupervisorWorker(["shell"]), ("Supervisor:Worker:HeartbeatInterval", "2")));

        Assert.Contains("Supervisor:Worker:HeartbeatInterval: '2' has no unit: write 2s", messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_worker_refuses_a_retry_interval_written_as_a_bare_number()
    {
        var messages = Messages(await StartFailsAsync(b => b.AddSupervisorWorker(["shell"]), ("Supervisor:Agents:shell:Retry:Intervals:0", "2")));

        Assert.Contains("Supervisor:Agents:shell:Retry:Intervals:0: '2' has no unit", messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_worker_refuses_an_agent_that_is_not_configured()
    {
        var messages = Messages(await StartFailsAsync(b => b.AddSupervisorWorker(["nobody"])));

        Assert.Contains("--agent: 'nobody' is not a configured agent", messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_worker_refuses_a_setting_under_its_old_name_and_names_the_new_one()
    {
        var messages = Messages(await StartFailsAsync(b => b.AddSupervisorWorker(["shell"]), ("Supervisor:Worker:ShutdownGraceSeconds", "60")));

        Assert.Contains("Supervisor:Worker:ShutdownGraceSeconds: renamed; write Supervisor:Worker:ShutdownGrace instead (a duration such as 30s).",
            messages, StringComparison.Ordinal);
    }
}
