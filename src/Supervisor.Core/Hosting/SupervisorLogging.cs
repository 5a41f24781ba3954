using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Supervisor.Settings;

namespace Supervisor.Hosting;

/// <summary><c>Supervisor:Logging</c>: how a host writes its log to the console.</summary>
public sealed class LoggingOptions : IValidatedOptions
{
    public const string Section = "Supervisor:Logging";

    /// <summary>One line per event for people: time, level, source and the rendered message.</summary>
    public const string Text = "text";

    /// <summary>One JSON object per line (Serilog's compact format, message rendered) for Compose and log shippers.</summary>
    public const string Json = "json";

    /// <summary><see cref="Text"/> (the default) or <see cref="Json"/>.</summary>
    public string Format { get; set; } = Text;

    public bool IsJson => string.Equals(Format, Json, StringComparison.OrdinalIgnoreCase);

    public IReadOnlyList<string> Validate() =>
        IsJson || string.Equals(Format, Text, StringComparison.OrdinalIgnoreCase)
            ? []
            : [$"{Section}:Format: '{Format}' is not a log format: write {Text} (the default) or {Json}."];
}

/// <summary>Serilog for every host: levels, the <c>Serilog</c> section, and the console in the configured format.</summary>
public static class SupervisorLogging
{
    const string TextTemplate = "{Timestamp:HH:mm:ss.fff} {Level:u3} {SourceContext:l}: {Message:lj}{NewLine}{Exception}";

    /// <summary>
    /// Replaces the host's logging with Serilog writing to standard error in <c>Supervisor:Logging:Format</c>. A format
    /// that is neither <c>text</c> nor <c>json</c> stops the host at start, naming the key (the log is text until then).
    /// Either format writes the same events: secrets are kept out of them where they arise (agent output is redacted
    /// before anything reads it, agent environment values are never logged), so neither format has any to hide.
    /// </summary>
    public static IHostApplicationBuilder AddSupervisorLogging(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<LoggingOptions>(LoggingOptions.Section);
        var options = builder.Configuration.GetSection(LoggingOptions.Section).Get<LoggingOptions>() ?? new LoggingOptions();

        var logger = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("MassTransit", LogEventLevel.Warning)
            .MinimumLevel.Override("Quartz", LogEventLevel.Warning)
            .ReadFrom.Configuration(builder.Configuration)
            .Enrich.FromLogContext()
            .WriteToConsole(options)
            .CreateLogger();
        builder.Logging.ClearProviders();
        builder.Services.AddSerilog(logger, dispose: true);
        return builder;
    }

    /// <summary>
    /// Standard error, in <paramref name="options"/>' format. Text goes through the console sink's own template renderer,
    /// which writes every value of the message literally (a Guid or a URI as it is, not quoted as JSON would).
    /// </summary>
    public static LoggerConfiguration WriteToConsole(this LoggerConfiguration configuration, LoggingOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        return options.IsJson
            ? configuration.WriteTo.Console(new RenderedCompactJsonFormatter(), standardErrorFromLevel: LogEventLevel.Verbose)
            : configuration.WriteTo.Console(outputTemplate: TextTemplate, standardErrorFromLevel: LogEventLevel.Verbose,
                formatProvider: CultureInfo.CurrentCulture);
    }
}
