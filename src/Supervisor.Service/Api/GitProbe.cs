using System.Diagnostics;

namespace Supervisor.Service.Api;

/// <summary>Read-only git questions asked while validating a submission.</summary>
public sealed class GitProbe
{
    public Task<bool> IsRepositoryAsync(string path, CancellationToken cancellationToken) =>
        SucceedsAsync(cancellationToken, "-C", path, "rev-parse", "--git-dir");

    public Task<bool> RefExistsAsync(string path, string reference, CancellationToken cancellationToken) =>
        SucceedsAsync(cancellationToken, "-C", path, "rev-parse", "--verify", "--quiet", reference + "^{commit}");

    static async Task<bool> SucceedsAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";

        using var process = Process.Start(start) ?? throw new InvalidOperationException("git could not be started.");
        var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(cancellationToken), process.StandardError.ReadToEndAsync(cancellationToken));
        await process.WaitForExitAsync(cancellationToken);
        await drain;
        return process.ExitCode == 0;
    }
}
