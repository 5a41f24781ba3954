namespace Supervisor.IntegrationTests.Infrastructure;

/// <summary>Where the real services are; scripts/test.sh exports these after scripts/services.sh has started them.</summary>
static class TestEnvironment
{
    public static string Postgres =>
        Environment.GetEnvironmentVariable("ConnectionStrings__Postgres")
        ?? "Host=127.0.0.1;Port=5432;Username=postgres;Password=postgres;Database=supervisor";

    public static Uri RabbitMq =>
        new(Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? "amqp://guest:guest@127.0.0.1:5672/");

    public static Uri RabbitMqManagement =>
        new(Environment.GetEnvironmentVariable("SUPERVISOR_RABBITMQ_MANAGEMENT") ?? "http://guest:guest@127.0.0.1:15672");

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Release or Debug, whichever the tests themselves were built as.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string ProjectOutput(string project, string assembly) =>
        Path.Combine(RepositoryRoot, "src", project, "bin", Configuration, "net10.0", assembly);

    public static string LogDirectory { get; } = Path.Combine(RepositoryRoot, ".data", "test-logs");

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
