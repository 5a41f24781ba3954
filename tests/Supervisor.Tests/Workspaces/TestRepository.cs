using CliWrap;
using CliWrap.Buffered;

namespace Supervisor.Tests.Workspaces;

/// <summary>
/// A real git repository in a temporary directory, with a commit on <c>main</c> and one more on <c>feature</c>.
/// Its identity is configured in the repository itself, because the machine may have none.
/// </summary>
sealed class TestRepository : IDisposable
{
    public TestRepository()
    {
        Root = Directory.CreateTempSubdirectory("workspaces-").FullName;
        Path = System.IO.Path.Combine(Root, "repo");
        Directory.CreateDirectory(Path);
        Git("init", "--quiet", "--initial-branch=main");
        Git("config", "user.name", "Test");
        Git("config", "user.email", "test@localhost");
        Git("config", "commit.gpgsign", "false");
        File.WriteAllText(System.IO.Path.Combine(Path, "README.md"), "hello\n");
        Git("add", "README.md");
        Git("commit", "--quiet", "-m", "initial");
        MainCommit = Git("rev-parse", "HEAD");

        Git("checkout", "--quiet", "-b", "feature");
        File.WriteAllText(System.IO.Path.Combine(Path, "feature.txt"), "feature\n");
        Git("add", "feature.txt");
        Git("commit", "--quiet", "-m", "feature");
        FeatureCommit = Git("rev-parse", "HEAD");
        Git("checkout", "--quiet", "main");

        WorkspaceRoot = System.IO.Path.Combine(Root, "workspaces");
    }

    public string Root { get; }

    public string Path { get; }

    public string WorkspaceRoot { get; }

    public string MainCommit { get; }

    public string FeatureCommit { get; }

    /// <summary>Runs git in the repository and returns its trimmed stdout; fails the test when git fails.</summary>
    public string Git(params string[] arguments)
    {
        // Synchronous because the constructor builds the repository with it; xunit runs tests without a
        // synchronization context, so blocking cannot deadlock.
#pragma warning disable VSTHRD002
        var result = CliWrap.Cli.Wrap("git")
            .WithArguments(["-C", Path, .. arguments])
            .WithWorkingDirectory(Path)
            .WithEnvironmentVariables(e => e.Set("GIT_TERMINAL_PROMPT", "0"))
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync()
            .GetAwaiter()
            .GetResult();
#pragma warning restore VSTHRD002
        Assert.True(result.ExitCode == 0, $"git {string.Join(' ', arguments)} failed: {result.StandardError}");
        return result.StandardOutput.Trim();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory must not fail the test that already ran.
        }
    }
}
