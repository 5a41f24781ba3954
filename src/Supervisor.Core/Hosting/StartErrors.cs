using Microsoft.Extensions.Options;

namespace Supervisor.Hosting;

/// <summary>How a host ends when its configuration is refused at start.</summary>
public static class StartErrors
{
    /// <summary>Exit code of a process whose configuration was refused (sysexits' EX_CONFIG): a process manager should not restart it.</summary>
    public const int ConfigurationExitCode = 78;

    /// <summary>
    /// Builds and runs a host. A setting refused while the host is built or started ends the process with
    /// <see cref="ConfigurationExitCode"/> and one line per refused key on standard error, not with a stack trace.
    /// </summary>
    public static async Task<int> RunAsync(Func<Task> run, TextWriter? errors = null)
    {
        try
        {
            await run();
            return 0;
        }
        catch (Exception e) when (Refused(e) is { Count: > 0 } failures)
        {
            // The host, and with it the logger, could not be built: standard error is all there is.
            errors ??= Console.Error;
            foreach (var failure in failures)
                await errors.WriteLineAsync($"configuration error: {failure}");
            return ConfigurationExitCode;
        }
    }

    /// <summary>Every failure of every options validation in the exception, however it was wrapped.</summary>
    static List<string> Refused(Exception e) => e switch
    {
        OptionsValidationException validation => [.. validation.Failures],
        AggregateException aggregate => [.. aggregate.InnerExceptions.SelectMany(Refused)],
        { InnerException: { } inner } => Refused(inner),
        _ => [],
    };
}
