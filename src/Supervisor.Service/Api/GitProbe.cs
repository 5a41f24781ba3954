using CliWrap;
using CliWrap.Buffered;

namespace Supervisor.Service.Api;

/// <summary>
/// Read-only git questions asked while validating a submission. The path is whatever a submitter named (under the
/// allowed roots): git runs there without hooks or fsmonitor and without configuration handed down in the environment.
/// </summary>
public sealed class GitProbe
{
    public Task<bool> IsRepositoryAsync(string path, CancellationToken cancellationToken) =>
        SucceedsAsync(path, ["rev-parse", "--git-dir"], cancellationToken);

    public Task<bool> RefExistsAsync(string path, string reference, CancellationToken cancellationToken) =>
        SucceedsAsync(path, ["rev-parse", "--verify", "--quiet", "--end-of-options", reference + "^{commit}"], cancellationToken);

    static async Task<bool> SucceedsAsync(string path, string[] arguments, CancellationToken cancellationToken)
    {
        var result = await Cli.Wrap("git")
            .WithArguments(["-C", path, "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", .. arguments])
            .WithEnvironmentVariables(e => e
                .Set("GIT_TERMINAL_PROMPT", "0")
                .Set("GIT_CONFIG_PARAMETERS", null)
                .Set("GIT_CONFIG_COUNT", null)
                .Set("GIT_DIR", null)
                .Set("GIT_WORK_TREE", null))
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(cancellationToken);
        return result.ExitCode == 0;
    }
}
