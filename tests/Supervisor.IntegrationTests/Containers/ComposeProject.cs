using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using CliWrap;
using CliWrap.Buffered;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Containers;

/// <summary>
/// One Compose project of compose/docker-compose.yml under a name of its own, on the images compose/local-images.env
/// names (the environment overrides them, e.g. SUPERVISOR_POSTGRES_IMAGE=postgres:15 where a registry is reachable),
/// with the API and the management UI on free ports. docker-compose 1.29 where installed, else Compose v2.
/// </summary>
sealed partial class ComposeProject : IAsyncDisposable
{
    const string Prefix = "supervisor-compose-test-";
    const string ProjectLabel = "com.docker.compose.project";

    readonly int _managementPort;

    ComposeProject(string name, int apiPort, int managementPort, string token)
    {
        Name = name;
        ApiPort = apiPort;
        _managementPort = managementPort;
        Token = token;
    }

    public string Name { get; }

    public int ApiPort { get; }

    public string Token { get; }

    public Uri Api => new($"http://127.0.0.1:{ApiPort}");

    static string File => Path.Combine(TestEnvironment.RepositoryRoot, "compose", "docker-compose.yml");

    static string EnvFile => Path.Combine(TestEnvironment.RepositoryRoot, "compose", "local-images.env");

    /// <summary>A new project name and ports; projects an aborted run left behind are taken down first.</summary>
    public static async Task<ComposeProject> CreateAsync()
    {
        foreach (var leftover in await ProjectsAsync())
            await new ComposeProject(leftover, 0, 0, "-").DisposeAsync();
        return new ComposeProject(Prefix + Guid.NewGuid().ToString("N")[..8], FreePort(), FreePort(), Guid.NewGuid().ToString("N"));
    }

    /// <summary><c>docker-compose -p NAME -f compose/docker-compose.yml --env-file compose/local-images.env ARGUMENTS</c>.</summary>
    public Task<string> RunAsync(params string[] arguments)
    {
        string[] compose = Commands.Exists("docker-compose") ? ["docker-compose"] : ["docker", "compose"];
        string[] all = [.. compose[1..], "--ansi", "never", "-p", Name, "-f", File, "--env-file", EnvFile, .. arguments];
        var environment = new Dictionary<string, string>
        {
            ["SUPERVISOR_API_TOKEN"] = Token,
            ["SUPERVISOR_API_PORT"] = ApiPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SUPERVISOR_RABBITMQ_UI_PORT"] = _managementPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        return Commands.RunAsync(compose[0], all, environment, TimeSpan.FromMinutes(5));
    }

    /// <summary>Ids of the running containers of one service.</summary>
    public async Task<IReadOnlyList<string>> RunningAsync(string service) =>
        Lines(await Commands.DockerAsync("ps", "-q", "--filter", $"label={ProjectLabel}={Name}", "--filter", $"label=com.docker.compose.service={service}"));

    /// <summary>Every container, network and volume of the project (labelled, or mounted by one of its containers).</summary>
    public async Task<IReadOnlyList<string>> ResourcesAsync()
    {
        var filter = $"label={ProjectLabel}={Name}";
        var containers = Lines(await Commands.DockerAsync("ps", "-aq", "--filter", filter));
        var mounted = containers.Count == 0 ? [] : Lines(await Commands.DockerAsync(
            ["inspect", "--format", "{{range .Mounts}}{{if .Name}}{{println .Name}}{{end}}{{end}}", .. containers]));
        var volumes = Lines(await Commands.DockerAsync("volume", "ls", "-q", "--filter", filter));
        var networks = Lines(await Commands.DockerAsync("network", "ls", "-q", "--filter", filter));
        return [.. containers.Select(c => "container " + c), .. volumes.Union(mounted).Select(v => "volume " + v), .. networks.Select(n => "network " + n)];
    }

    /// <summary>Whether the named volumes still exist.</summary>
    public static async Task<IReadOnlyList<string>> ExistingVolumesAsync(IEnumerable<string> names)
    {
        var all = Lines(await Commands.DockerAsync("volume", "ls", "-q")).ToHashSet(StringComparer.Ordinal);
        return names.Where(all.Contains).ToList();
    }

    /// <summary>The worker id a container's worker announced ("Worker {id} ready"), or null while it has not.</summary>
    public static async Task<string?> ReadyWorkerAsync(string container)
    {
        var match = WorkerReady().Match(await Commands.DockerAsync("logs", container));
        return match.Success ? match.Groups["id"].Value : null;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync("down", "-v", "--remove-orphans", "-t", "30");
        }
        catch (InvalidOperationException)
        {
            // the test asserts what is left; a failing down must not hide the test's own failure
        }
    }

    static async Task<IReadOnlyList<string>> ProjectsAsync()
    {
        var format = $"{{{{.Label \"{ProjectLabel}\"}}}}";
        var names = Lines(await Commands.DockerAsync("ps", "-a", "--filter", "label=" + ProjectLabel, "--format", format))
            .Concat(Lines(await Commands.DockerAsync("volume", "ls", "--filter", "label=" + ProjectLabel, "--format", format)))
            .Concat(Lines(await Commands.DockerAsync("network", "ls", "--filter", "label=" + ProjectLabel, "--format", format)));
        return names.Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Distinct(StringComparer.Ordinal).ToList();
    }

    static List<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"Worker (?<id>\S+) ready", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex WorkerReady();
}

/// <summary>Short-lived commands (docker, docker-compose, the CLI), run to their end.</summary>
static class Commands
{
    public static bool Exists(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => System.IO.File.Exists(Path.Combine(d, program)));

    public static async Task<string> DockerAsync(params string[] arguments) =>
        await RunAsync("docker", arguments, new Dictionary<string, string>(), TimeSpan.FromMinutes(2));

    /// <summary>Standard output (and error, after it); throws when the command fails.</summary>
    public static async Task<string> RunAsync(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var (exitCode, output, error) = await TryRunAsync(program, arguments, environment, timeout);
        return exitCode == 0
            ? output + error
            : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {exitCode}:\n{output}{error}");
    }

    public static async Task<(int ExitCode, string Output, string Error)> TryRunAsync(
        string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        // Past the limit CliWrap kills the command with everything it started.
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var result = await CliWrap.Cli.Wrap(program)
                .WithArguments(arguments)
                .WithEnvironmentVariables(environment.ToDictionary(e => e.Key, string? (e) => e.Value))
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(cts.Token);
            return (result.ExitCode, result.StandardOutput, result.StandardError);
        }
        catch (OperationCanceledException e) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not end within {timeout}", e);
        }
    }
}
