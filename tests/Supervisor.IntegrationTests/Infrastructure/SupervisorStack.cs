using System.Net;
using System.Net.Sockets;

namespace Supervisor.IntegrationTests.Infrastructure;

/// <summary>
/// A whole Supervisor deployment for tests: its own database and virtual host, real service processes and real
/// worker processes, all configured only through environment variables, as an operator would.
/// </summary>
sealed class SupervisorStack : IAsyncDisposable
{
    readonly Dictionary<string, string> _config;
    readonly List<HostProcess> _services = [];
    readonly List<string> _logFiles = [];
    readonly List<HostProcess> _workers = [];
    readonly Dictionary<HostProcess, string> _urls = [];

    SupervisorStack(string name, IsolatedResources resources, Dictionary<string, string> config)
    {
        Name = name;
        Resources = resources;
        _config = config;
    }

    public string Name { get; }

    public IsolatedResources Resources { get; }

    /// <summary>The API of the first service started (a restarted service keeps its address).</summary>
    public ApiClient Api { get; private set; } = null!;

    volatile bool _disposed;

    public IReadOnlyList<HostProcess> Services => _services;

    public IReadOnlyList<HostProcess> Workers => _workers;

    /// <summary>The addresses of the service instances (a restarted instance keeps its address).</summary>
    public IReadOnlyList<Uri> ServiceUrls => [.. _urls.Values.Distinct().Order(StringComparer.Ordinal).Select(u => new Uri(u))];

    /// <summary>The log files of every process this stack runs.</summary>
    public IEnumerable<string> LogFiles => _logFiles;

    /// <summary>Starts <paramref name="services"/> service instances and the given workers, and waits until all are ready.</summary>
    public static Task<SupervisorStack> StartAsync(string name, IReadOnlyDictionary<string, string> config, int services,
        params (string Agent, int Count)[] workers) => StartOnAsync(null, name, config, services, workers);

    /// <summary>As <see cref="StartAsync"/>, on <paramref name="containers"/> (a test's own), or on the shared ones when null.</summary>
    public static async Task<SupervisorStack> StartOnAsync(ServiceContainers? containers, string name, IReadOnlyDictionary<string, string> config,
        int services, params (string Agent, int Count)[] workers)
    {
        var resources = await IsolatedResources.CreateAsync(name, containers);
        // Every stack requires tokens, as a deployment does (TestTokens); its clients are not to be slowed by the per-token
        // rate limit, which TrustBoundary/Identities tests on a service of its own.
        var env = new Dictionary<string, string>(TestTokens.Environment())
        {
            ["Supervisor__Api__RateLimit__PermitsPerSecond"] = "100000",
            ["Supervisor__Api__RateLimit__Burst"] = "100000",
        };
        foreach (var (key, value) in config)
            env[key] = value;
        env["ConnectionStrings__Postgres"] = resources.Postgres;
        env["ConnectionStrings__RabbitMq"] = resources.RabbitMq;
        env["Supervisor__Worker__WorkspaceRoot"] = Path.Combine(Path.GetTempPath(), "supervisor-tests", resources.Name);
        var stack = new SupervisorStack(name, resources, env);
        try
        {
            for (var i = 0; i < services; i++)
                await stack.AddServiceAsync();
            foreach (var (agent, count) in workers)
            {
                for (var i = 0; i < count; i++)
                    await stack.AddWorkerAsync(agent);
            }
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }

        return stack;
    }

    public Task<HostProcess> AddServiceAsync() => StartServiceAsync($"http://127.0.0.1:{FreePort()}");

    /// <summary>
    /// Starts a new service process in place of <paramref name="old"/> (stopped or killed), on the same address; unless
    /// <paramref name="waitUntilReady"/> is false, waits until it is ready.
    /// </summary>
    public async Task<HostProcess> RestartServiceAsync(HostProcess old, bool waitUntilReady = true)
    {
        var url = _urls[old];
        await old.DisposeAsync();
        _services.Remove(old);
        return waitUntilReady ? await StartServiceAsync(url) : LaunchService(url, new Dictionary<string, string>());
    }

    /// <summary>
    /// Starts a service process with extra configuration (an empty value removes a key) and does not wait for it (it may be
    /// meant to refuse to start).
    /// </summary>
    public HostProcess LaunchService(string url, IReadOnlyDictionary<string, string> extra)
    {
        var env = new Dictionary<string, string>(_config) { ["Supervisor__Api__Urls"] = url };
        foreach (var (key, value) in extra)
        {
            if (value.Length == 0)
                env.Remove(key);
            else
                env[key] = value;
        }

        var service = HostProcess.Start($"{Name}-service{_services.Count + 1}", TestEnvironment.ProjectOutput("Supervisor.Service", "Supervisor.Service.dll"), env);
        _services.Add(service);
        _logFiles.Add(service.LogFile);
        _urls[service] = url;
        _ = RestartIfWedgedAsync(service, url, extra);
        return service;
    }

    /// <summary>
    /// What a process manager does for a service that exits with <see cref="Supervisor.Hosting.ReceiveWatchdog.ExitCode"/>
    /// (wedged): start it again, on the same address. Services stopped or killed by the test stay down.
    /// </summary>
    async Task RestartIfWedgedAsync(HostProcess service, string url, IReadOnlyDictionary<string, string> extra)
    {
        if (await service.WaitForExitAsync() != Supervisor.Hosting.ReceiveWatchdog.ExitCode || _disposed)
            return;
        _services.Remove(service);
        LaunchService(url, extra);
    }

    async Task<HostProcess> StartServiceAsync(string url)
    {
        var service = LaunchService(url, new Dictionary<string, string>());
        using var api = new ApiClient(new Uri(url), caller: null);
        await WaitUntilAsync(service, async () =>
        {
            try
            {
                return (await api.Http.GetAsync("/health/ready")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        });
        Api ??= new ApiClient(new Uri(url));
        return service;
    }

    /// <summary>Starts a worker serving <paramref name="agents"/> (comma-separated) and waits until it consumes their queues.</summary>
    public async Task<HostProcess> AddWorkerAsync(string agents, IReadOnlyDictionary<string, string>? extra = null, string? id = null)
    {
        var names = agents.Split(',');
        id ??= $"{names[0]}-w{_workers.Count + 1}";
        // Workers connect as the worker role, with the production broker permissions (compose/rabbitmq/permissions.conf).
        var env = new Dictionary<string, string>(_config) { ["Supervisor__Worker__Id"] = id, ["ConnectionStrings__RabbitMq"] = Resources.WorkerRabbitMq };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            env[key] = value;
        var worker = HostProcess.Start($"{Name}-{id}", TestEnvironment.ProjectOutput("Supervisor.Worker", "Supervisor.Worker.dll"), env,
            "--agent", agents);
        _workers.Add(worker);
        _logFiles.Add(worker.LogFile);
        // Logged once the bus has started, i.e. once every agent queue has this worker as a consumer.
        await WaitUntilAsync(worker, () => Task.FromResult(worker.RecentOutput.Contains($"Worker {id} ready", StringComparison.Ordinal)));
        _ = RestartWorkerIfWedgedAsync(worker, agents, extra, id);
        return worker;
    }

    /// <summary>As for a service: a worker that exits wedged is started again, with the same id, as a process manager would.</summary>
    async Task RestartWorkerIfWedgedAsync(HostProcess worker, string agents, IReadOnlyDictionary<string, string>? extra, string id)
    {
        if (await worker.WaitForExitAsync() != Supervisor.Hosting.ReceiveWatchdog.ExitCode || _disposed)
            return;
        await AddWorkerAsync(agents, extra, id);
    }

    /// <summary>The (latest) worker process whose id (Supervisor:Worker:Id) is <paramref name="workerId"/>.</summary>
    public HostProcess Worker(string workerId) => _workers.Last(w => w.Name.EndsWith("-" + workerId, StringComparison.Ordinal));

    public static async Task WaitUntilAsync(HostProcess process, Func<Task<bool>> ready)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{process.Name} exited during start-up:\n{process.RecentOutput}");
            if (await ready())
                return;
            await Task.Delay(200);
        }

        throw new TimeoutException($"{process.Name} was not ready within 60 s:\n{process.RecentOutput}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        // The workers (at once), then the services: each its clean stop, within its own bound.
        await Task.WhenAll(_workers.ToList().Select(p => p.DisposeAsync().AsTask()));
        await Task.WhenAll(_services.ToList().Select(p => p.DisposeAsync().AsTask()));
        Api?.Dispose();
        await Resources.DisposeAsync();
    }
}
