using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Core;
using Supervisor.Hosting;
using Supervisor.Rules.Redaction;

namespace Supervisor.Tests.Hosting;

/// <summary><c>Supervisor:Logging:Format</c>: text lines for people by default, JSON lines for Compose and log shippers.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class LoggingSpecs
{
    const string Secret = "sk-ant-0123456789abcdefghijklmnop";

    /// <summary>What a host's console sink writes for one event, standard error captured.</summary>
    static string Log(string format, string template, params object[] values)
    {
        var original = Console.Error;
        using var output = new StringWriter();
        Console.SetError(output);
        try
        {
            using var logger = new LoggerConfiguration().WriteToConsole(new LoggingOptions { Format = format }).CreateLogger();
            logger.ForContext(Constants.SourceContextPropertyName, "Supervisor.Worker.Jobs.AgentRunner").Warning(template, values);
        }
        finally
        {
            Console.SetError(original);
        }

        return output.ToString();
    }

    [Fact]
    public void Text_is_one_line_with_time_level_source_and_every_value_written_as_it_is()
    {
        var token = Guid.Parse("ce570000-f47f-92ce-91e0-08df5254a687");

        var line = Log("text", "Dropped {TokenId} for {Worker} at {Address}", token, "w1", new Uri("rabbitmq://host/vhost"));

        Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{3} WRN Supervisor\.Worker\.Jobs\.AgentRunner: ", line);
        Assert.EndsWith(": Dropped ce570000-f47f-92ce-91e0-08df5254a687 for w1 at rabbitmq://host/vhost" + Environment.NewLine, line,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Json_is_one_object_per_line_with_the_rendered_message_and_its_properties()
    {
        var line = Log("json", "Worker {WorkerId} ready", "w1");

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

        var line = Log(format, "Attempt failed: {Reason}", tail);

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

/// <summary>Standard error is process-wide: specs that capture it must not overlap.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "console";
}
