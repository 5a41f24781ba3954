namespace Supervisor.IntegrationTests.Infrastructure;

/// <summary>Where the tests' services and the repository are.</summary>
static class TestEnvironment
{
    static readonly Lock Gate = new();
    static Task<ServiceContainers>? _shared;

    /// <summary>
    /// The PostgreSQL and RabbitMQ containers every stack shares (each with a database and a virtual host of its own),
    /// started by the first test that needs them and removed after the last test (<see cref="ServicesTestFramework"/>).
    /// Fault tests start their own.
    /// </summary>
    public static Task<ServiceContainers> SharedServicesAsync()
    {
        lock (Gate)
            return _shared ??= StartSharedAsync();
    }

    /// <summary>Removes the shared containers, if they were started; a run killed before this leaves them to the next run's sweep.</summary>
    public static async Task RemoveSharedServicesAsync()
    {
        Task<ServiceContainers>? shared;
        lock (Gate)
            shared = _shared;
        if (shared is { IsCompletedSuccessfully: true })
            await (await shared).RemoveAsync();
    }

    /// <summary>
    /// A new temporary directory that agents may write into (mode 0777): agents run as users of their own (one uid per
    /// attempt), and <see cref="Directory.CreateTempSubdirectory(string)"/> makes a directory only its owner can enter.
    /// What agents create there is their uid's; the tests (root) read it all the same. State that several attempts update
    /// must be created writable by all (the test agents set <c>umask 0</c>).
    /// </summary>
    public static string SharedDirectory(string prefix)
    {
        var directory = Directory.CreateTempSubdirectory(prefix);
        if (!OperatingSystem.IsWindows())
            directory.UnixFileMode = (UnixFileMode)0b111_111_111;
        return directory.FullName;
    }

    /// <summary>
    /// TestAgents/<paramref name="name"/>, copied where agents' users can read it: the clone the tests run from may sit in
    /// a directory only root can enter (mktemp -d, /root), and agents run as users of their own.
    /// </summary>
    public static string AgentScript(string name)
    {
        var copy = Path.Combine(AgentScripts.Value, name);
        lock (AgentScripts)
        {
            if (File.Exists(copy))
                return copy;
            File.Copy(Path.Combine(AppContext.BaseDirectory, "TestAgents", name), copy, overwrite: true);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(copy, (UnixFileMode)0b111_101_101);
        }

        return copy;
    }

    static readonly Lazy<string> AgentScripts = new(() =>
    {
        var directory = Directory.CreateTempSubdirectory("supervisor-test-agents-");
        if (!OperatingSystem.IsWindows())
            directory.UnixFileMode = (UnixFileMode)0b111_101_101;
        return directory.FullName;
    });

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Release or Debug, whichever the tests themselves were built as.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string ProjectOutput(string project, string assembly) =>
        Path.Combine(RepositoryRoot, "src", project, "bin", Configuration, "net10.0", assembly);

    public static string LogDirectory { get; } = Path.Combine(RepositoryRoot, ".data", "test-logs");

    static Task<ServiceContainers> StartSharedAsync() => ServiceContainers.StartAsync("shared");

    static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Supervisor.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("Supervisor.sln not found above " + AppContext.BaseDirectory);
    }
}
