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
