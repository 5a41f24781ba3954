using System.Diagnostics;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.FaultInjection;

/// <summary>Restarts PostgreSQL or RabbitMQ through scripts/services.sh, which refuses services it did not start.</summary>
static class SharedServices
{
    static readonly Lazy<bool> Restartable = new(() => Run("status").Output is var status
        && !status.Contains("not started by services.sh", StringComparison.Ordinal));

    /// <summary>
    /// Why a restart scenario cannot run here, or null: on a machine whose PostgreSQL/RabbitMQ this repository's
    /// scripts did not start (shared with other users), restarting them is not ours to do.
    /// </summary>
    public static string? WhyNotRestartable => Restartable.Value ? null
        : "PostgreSQL/RabbitMQ here were not started by scripts/services.sh (shared services); restart scenarios need their own";

    public static async Task RestartAsync(string service)
    {
        var (code, output) = await Task.Run(() => Run("restart", service));
        Assert.True(code == 0, $"scripts/services.sh restart {service} failed ({code}): {output}");
    }

    static (int Code, string Output) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(TestEnvironment.RepositoryRoot, "scripts", "services.sh"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}

/// <summary>A fact that is skipped, saying why, where the shared services may not be restarted.</summary>
public sealed class RestartsServicesFactAttribute : FactAttribute
{
    public RestartsServicesFactAttribute()
    {
        if (SharedServices.WhyNotRestartable is { } why)
            Skip = why;
    }
}
