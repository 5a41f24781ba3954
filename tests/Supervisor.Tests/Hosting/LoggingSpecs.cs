using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serilog.Events;
using Serilog.Parsing;
using Supervisor.Hosting;
using Supervisor.Rules.Redaction;

namespace Supervisor.Tests.Hosting;

/// <summary><c>Supervisor:Logging:Format</c>: text lines for people by default, JSON lines for Compose and log shippers.</summary>
public sealed class LoggingSpecs
{
    const string Secret = "sk-ant-0123456789abcdefghijklmnop";

    static LogEvent Event(string template, params (string Name, object Value)[] properties) =>
        new(new DateTimeOffset(2026, 12, 4, 10, 11, 12, 345, TimeSpan.Zero), LogEventLevel.Warning, null,
            new MessageTemplateParser().Parse(template),
            [
                new LogEventProperty("SourceContext", new ScalarValue("Supervisor.Worker.Jobs.AgentRunner")),
                .. properties.Select(p => new LogEventProperty(p.Name, new ScalarValue(p.Value))),
            ]);

    static string Render(string format, LogEvent logEvent)
    {
        using var output = new StringWriter();
        SupervisorLogging.Formatter(new LoggingOptions { Format = format }).Format(logEvent, output);
        return output.ToString();
    }

    [Fact]
    public void Text_is_one_line_with_time_level_source_and_message()
    {
        var line = Render("text", Event("Worker {WorkerId} ready", ("WorkerId", "w1")));

        Assert.Equal("10:11:12.345 WRN Supervisor.Worker.Jobs.AgentRunner: Worker w1 ready" + Environment.NewLine, line);
    }

    [Fact]
    public void Json_is_one_object_per_line_with_the_rendered_message_and_its_properties()
    {
        var line = Render("json", Event("Worker {WorkerId} ready", ("WorkerId", "w1")));

        Assert.Single(line.TrimEnd('\n').Split('\n'));
        using var json = JsonDocument.Parse(line);
        // Serilog's rendering: strings quoted in the message (the text format writes them literally), plain in properties.
        Assert.Equal("Worker \"w1\" ready", json.RootElement.GetProperty("@m").GetString());
        Assert.Equal("Warning", json.RootElement.GetProperty("@l").GetString());
        Assert.Equal("w1", json.RootElement.GetProperty("WorkerId").GetString());
        Assert.Equal("Supervisor.Worker.Jobs.AgentRunner", json.RootElement.GetProperty("SourceContext").GetString());
    }

    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    public void Agent_output_redacted_at_its_source_stays_redacted_in_either_format(string format)
    {
        var redactor = new SecretRedactor([Secret]);
        var tail = redactor.Push($"401 Unauthorized for key {Secret}\n") + redactor.Flush();

        var line = Render(format, Event("Attempt failed: {Reason}", ("Reason", tail)));

        Assert.Contains(SecretRedactor.Marker, line, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_format_that_is_neither_text_nor_json_stops_the_host_naming_the_key()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection([KeyValuePair.Create("Supervisor:Logging:Format", (string?)"xml")]);
        builder.AddSupervisorLogging();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            using var host = builder.Build();
            await host.StartAsync();
        });

        Assert.Equal(["Supervisor:Logging:Format: 'xml' is not a log format: write text (the default) or json."], e.Failures);
    }

    [Theory]
    [InlineData("json")]
    [InlineData("JSON")]
    [InlineData("text")]
    public void Either_format_is_accepted_in_any_case(string format) =>
        Assert.Empty(new LoggingOptions { Format = format }.Validate());
}
