using CliWrap;
using CliWrap.Buffered;

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
        var result = await Cli.Wrap("git")
            .WithArguments(arguments)
            .WithEnvironmentVariables(e => e.Set("GIT_TERMINAL_PROMPT", "0"))
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(cancellationToken);
        return result.ExitCode == 0;
    }
}
