using System.Diagnostics;
using System.Globalization;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace Supervisor.IntegrationTests.Infrastructure;

/// <summary>
/// PostgreSQL and RabbitMQ (with its management API) in containers, started through Testcontainers' own builders from
/// the images of scripts/images.sh, or the official ones (SUPERVISOR_POSTGRES_IMAGE=postgres:15,
/// SUPERVISOR_RABBITMQ_IMAGE=rabbitmq:3.13-management) where a registry is reachable. Host ports are bound
/// explicitly, on loopback, so a container that is stopped, killed or paused comes back at the same address.
/// </summary>
sealed class ServiceContainers : IAsyncDisposable
{
    /// <summary>On every container the tests start; with <see cref="OwnerLabel"/>, what leftovers are found by.</summary>
    public const string Label = "org.supervisor.tests";

    /// <summary>The pid of the test process that started the container: one whose process is gone is a leftover.</summary>
    public const string OwnerLabel = "org.supervisor.tests.pid";

    const int PostgresPort = 5432, AmqpPort = 5672, ManagementPort = 15672;

    static readonly string PostgresImage = Environment.GetEnvironmentVariable("SUPERVISOR_POSTGRES_IMAGE") is { Length: > 0 } p ? p : "supervisor-postgres:15";
    static readonly string RabbitMqImage = Environment.GetEnvironmentVariable("SUPERVISOR_RABBITMQ_IMAGE") is { Length: > 0 } r ? r : "supervisor-rabbitmq:3.10";
    static readonly SemaphoreSlim Sweep = new(1, 1);
    static bool _swept;

    readonly int _managementPort;

    /// <summary>
    /// Debian 12's engine (20.10) speaks Docker API 1.41 at most, while Testcontainers asks for 1.44; and the Ryuk reaper's
    /// image cannot be pulled here, so these containers are removed by the tests themselves. Set before Testcontainers
    /// reads its settings (the first builder), unless the environment says otherwise.
    /// </summary>
    static ServiceContainers()
    {
        if (Environment.GetEnvironmentVariable("DOCKER_API_VERSION") is null or "")
            Environment.SetEnvironmentVariable("DOCKER_API_VERSION", "1.41");
        if (Environment.GetEnvironmentVariable("TESTCONTAINERS_RYUK_DISABLED") is null or "")
            Environment.SetEnvironmentVariable("TESTCONTAINERS_RYUK_DISABLED", "true");
        // The ports are bound on this machine's loopback (below); Testcontainers, finding itself in a container (as on
        // these machines), would otherwise address them through the Docker bridge's gateway.
        var engine = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if ((string.IsNullOrEmpty(engine) || engine.StartsWith("unix://", StringComparison.Ordinal)) && Environment.GetEnvironmentVariable("TESTCONTAINERS_HOST_OVERRIDE") is null or "")
            Environment.SetEnvironmentVariable("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1");
    }

    ServiceContainers(PostgreSqlContainer postgres, RabbitMqContainer rabbitMq, int managementPort)
    {
        Postgres = postgres;
        RabbitMq = rabbitMq;
        _managementPort = managementPort;
    }

    public PostgreSqlContainer Postgres { get; }

    public RabbitMqContainer RabbitMq { get; }

    /// <summary>The superuser's connection string, to database <c>postgres</c>.</summary>
    public string PostgresConnectionString => Postgres.GetConnectionString();

    public Uri RabbitMqUri => new(RabbitMq.GetConnectionString());

    /// <summary>The management API, with the same credentials as <see cref="RabbitMqUri"/>.</summary>
    public Uri RabbitMqManagement => new UriBuilder("http", RabbitMq.Hostname, _managementPort) { UserName = RabbitMqUri.UserInfo.Split(':')[0], Password = RabbitMqUri.UserInfo.Split(':')[1] }.Uri;

    /// <summary>Starts a PostgreSQL and a RabbitMQ container labelled with <paramref name="purpose"/>.</summary>
    public static async Task<ServiceContainers> StartAsync(string purpose)
    {
        await RemoveLeftoversAsync();
        var labels = new Dictionary<string, string> { [Label] = purpose, [OwnerLabel] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture) };
        var managementPort = SupervisorStack.FreePort();
        // Agents in the tests run on this machine and reach its loopback: the builders' well-known passwords would be
        // credentials any agent could guess, so each run has its own.
        var postgres = new PostgreSqlBuilder(PostgresImage)
            .WithLabel(labels)
            .WithPassword(RandomSecret())
            .WithPortBinding(SupervisorStack.FreePort(), PostgresPort)
            // every test's stack holds connections of its own: the default 100 is too few for them all at once
            .WithCommand("-c", "max_connections=300")
            // the builder turns durability off for speed; a commit must survive a killed server, as in production
            .WithCommand("-c", "synchronous_commit=on")
            .WithCreateParameterModifier(Configure)
            .Build();
        var rabbitMq = new RabbitMqBuilder(RabbitMqImage)
            .WithLabel(labels)
            .WithPassword(RandomSecret())
            .WithPortBinding(SupervisorStack.FreePort(), AmqpPort)
            .WithPortBinding(managementPort, ManagementPort)
            .WithCreateParameterModifier(Configure)
            .Build();
        var services = new ServiceContainers(postgres, rabbitMq, managementPort);
        try
        {
            await Task.WhenAll(postgres.StartAsync(), rabbitMq.StartAsync());
        }
        catch
        {
            await services.DisposeAsync();
            throw;
        }

        return services;
    }

    static void Configure(CreateContainerParameters parameters)
    {
        if (parameters.HostConfig?.PortBindings is not { } bindings)
            return;
        // only this machine
        foreach (var binding in bindings.Values.SelectMany(b => b))
            binding.HostIP = "127.0.0.1";
    }

    static string RandomSecret() => System.Security.Cryptography.RandomNumberGenerator.GetHexString(32, lowercase: true);

    /// <summary><c>docker stop</c>, then <c>docker start</c>: a clean shutdown and a restart at the same address.</summary>
    public static async Task RestartAsync(IContainer container)
    {
        await container.StopAsync();
        await container.StartAsync();
    }

    /// <summary><c>docker kill</c> (SIGKILL, no shutdown at all), then <c>docker start</c>.</summary>
    public static async Task KillAndStartAsync(IContainer container)
    {
        using (var docker = TestcontainersSettings.OS.DockerEndpointAuthConfig.GetDockerClientBuilder().Build())
            await docker.Containers.KillContainerAsync(container.Id, new ContainerKillParameters { Signal = "KILL" });
        // Testcontainers' stop of a dead container only records when it stopped, so its wait strategy reads the new logs only.
        await container.StopAsync();
        await container.StartAsync();
    }

    /// <summary>Removes containers the tests labelled whose test process is gone (a run killed before it cleaned up), once per run.</summary>
    static async Task RemoveLeftoversAsync()
    {
        await Sweep.WaitAsync();
        try
        {
            if (_swept)
                return;
            var engine = TestcontainersSettings.OS.DockerEndpointAuthConfig
                ?? throw new InvalidOperationException("No Docker engine answers; start one with scripts/services.sh docker up (scripts/test.sh does).");
            using var docker = engine.GetDockerClientBuilder().Build();
            var labelled = await docker.Containers.ListContainersAsync(new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [Label] = true } },
            });
            foreach (var container in labelled.Where(c => !OwnerAlive(c.Labels)))
                await docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true });
            _swept = true;
        }
        finally
        {
            Sweep.Release();
        }
    }

    static bool OwnerAlive(IDictionary<string, string>? labels)
    {
        if (labels is null || !labels.TryGetValue(OwnerLabel, out var value) || !int.TryParse(value, CultureInfo.InvariantCulture, out var pid))
            return false;
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Removes both containers at once, without a clean shutdown (they hold nothing worth keeping).</summary>
    public async Task RemoveAsync()
    {
        using var docker = TestcontainersSettings.OS.DockerEndpointAuthConfig.GetDockerClientBuilder().Build();
        foreach (var id in new[] { Postgres.Id, RabbitMq.Id }.Where(id => !string.IsNullOrEmpty(id)))
            await docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true });
    }

    public async ValueTask DisposeAsync() => await Task.WhenAll(Postgres.DisposeAsync().AsTask(), RabbitMq.DisposeAsync().AsTask());
}
