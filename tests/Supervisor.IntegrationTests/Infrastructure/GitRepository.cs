using CliWrap;
using CliWrap.Buffered;

namespace Supervisor.IntegrationTests.Infrastructure;

/// <summary>A real git repository in a temporary directory, with one commit.</summary>
sealed class GitRepository : IDisposable
{
    GitRepository(string path) => Path = path;

    public string Path { get; }

    public static async Task<GitRepository> CreateAsync()
    {
        // Readable by agents (0755): they run as users of their own and read the repository through their worktree.
        var directory = Directory.CreateTempSubdirectory("supervisor-repo-");
        if (!OperatingSystem.IsWindows())
            directory.UnixFileMode = (UnixFileMode)0b111_101_101;
        var repo = new GitRepository(directory.FullName);
        await repo.GitAsync("init", "-q", "-b", "main");
        await repo.GitAsync("config", "user.email", "test@example.com");
        await repo.GitAsync("config", "user.name", "Test");
        await repo.CommitFileAsync("README.md", "test repository");
        return repo;
    }

    public async Task CommitFileAsync(string name, string content)
    {
        await File.WriteAllTextAsync(System.IO.Path.Combine(Path, name), content);
        await GitAsync("add", name);
        await GitAsync("commit", "-q", "-m", $"add {name}");
    }

    public async Task<string> GitAsync(params string[] arguments)
    {
        var result = await CliWrap.Cli.Wrap("git")
            .WithArguments(arguments)
            .WithWorkingDirectory(Path)
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync();
        return result.ExitCode == 0
            ? result.StandardOutput
            : throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed: {result.StandardError}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless; the test's verdict matters more.
        }
    }
}
