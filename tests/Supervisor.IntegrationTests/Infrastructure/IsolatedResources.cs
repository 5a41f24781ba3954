using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Npgsql;

namespace Supervisor.IntegrationTests.Infrastructure;

/// <summary>A database and a RabbitMQ virtual host of their own, so each stack starts empty and leaves nothing behind.</summary>
sealed class IsolatedResources : IAsyncDisposable
{
    readonly HttpClient _management;
    readonly ServiceContainers _services;

    IsolatedResources(string name, ServiceContainers services, HttpClient management)
    {
        Name = name;
        _services = services;
        _management = management;
        Postgres = new NpgsqlConnectionStringBuilder(services.PostgresConnectionString) { Database = name }.ConnectionString;
        var rabbit = new UriBuilder(services.RabbitMqUri) { Path = "/" + name };
        RabbitMq = rabbit.Uri.ToString();
        WorkerRabbitMq = new UriBuilder(rabbit.Uri) { UserName = RoleUser(name, "worker"), Password = RoleUser(name, "worker") }.Uri.ToString();
        SubmitterRabbitMq = new UriBuilder(rabbit.Uri) { UserName = RoleUser(name, "submitter"), Password = RoleUser(name, "submitter") }.Uri.ToString();
    }

    /// <summary>The broker user of <paramref name="role"/> on this virtual host, with the production permissions (compose/rabbitmq/permissions.conf).</summary>
    static string RoleUser(string vhost, string role) => $"{vhost}-{role}";

    /// <summary>The worker role's broker URI: it may publish worker messages and consume its own queues only.</summary>
    public string WorkerRabbitMq { get; }

    /// <summary>The submit-only role's broker URI: it may publish SubmitTask only.</summary>
    public string SubmitterRabbitMq { get; }

    public string Name { get; }

    public string Postgres { get; }

    /// <summary>For the test's own queries: unpooled, so a restart of PostgreSQL leaves no dead connection behind.</summary>
    public string InspectionPostgres => new NpgsqlConnectionStringBuilder(Postgres) { Pooling = false }.ConnectionString;

    string Admin => AdminOf(_services);

    public string RabbitMq { get; }

    /// <summary>The management API of the broker this virtual host is on.</summary>
    public Uri RabbitMqManagement => _services.RabbitMqManagement;

    /// <summary>A database and a virtual host on <paramref name="services"/>, or on the containers every test shares.</summary>
    public static async Task<IsolatedResources> CreateAsync(string prefix, ServiceContainers? services = null)
    {
        services ??= await TestEnvironment.SharedServicesAsync();
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 40)].ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(AdminOf(services)))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        var management = ManagementClient(services.RabbitMqManagement);
        (await management.PutAsync($"api/vhosts/{name}", null)).EnsureSuccessStatusCode();
        var user = services.RabbitMqUri.UserInfo.Split(':')[0];
        (await management.PutAsJsonAsync($"api/permissions/{name}/{user}", new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
        foreach (var (role, permissions) in BrokerPermissions())
        {
            var roleUser = RoleUser(name, role);
            (await management.PutAsJsonAsync($"api/users/{roleUser}", new { password = roleUser, tags = "" })).EnsureSuccessStatusCode();
            (await management.PutAsJsonAsync($"api/permissions/{name}/{roleUser}", permissions)).EnsureSuccessStatusCode();
        }

        return new IsolatedResources(name, services, management);
    }

    /// <summary>This virtual host's queues as "name: N ready, N unacked, N consumers", for a failing test's report.</summary>
    public async Task<IReadOnlyList<string>> DescribeQueuesAsync()
    {
        var queues = await _management.GetFromJsonAsync<List<QueueSummary>>($"api/queues/{Name}") ?? [];
        return [.. queues.Select(q => $"{q.Name}: {q.MessagesReady} ready, {q.MessagesUnacknowledged} unacked, {q.Consumers} consumers")];
    }

    sealed record QueueSummary(
        [property: System.Text.Json.Serialization.JsonPropertyName("name")] string Name,
        [property: System.Text.Json.Serialization.JsonPropertyName("messages_ready")] long MessagesReady,
        [property: System.Text.Json.Serialization.JsonPropertyName("messages_unacknowledged")] long MessagesUnacknowledged,
        [property: System.Text.Json.Serialization.JsonPropertyName("consumers")] long Consumers);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _management.DeleteAsync($"api/vhosts/{Name}");
            foreach (var role in BrokerPermissions().Keys)
                await _management.DeleteAsync($"api/users/{RoleUser(Name, role)}");
            await using var connection = new NpgsqlConnection(Admin);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        finally
        {
            _management.Dispose();
        }
    }

    /// <summary>
    /// The roles' permissions as production sets them: compose/rabbitmq/permissions.conf, the one source that
    /// scripts/services.sh and the compose stack read too ("role kind regex" lines).
    /// </summary>
    public static IReadOnlyDictionary<string, Dictionary<string, string>> BrokerPermissions()
    {
        var roles = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(TestEnvironment.RepositoryRoot, "compose", "rabbitmq", "permissions.conf")))
        {
            if (line.StartsWith('#') || line.Split(' ', 3) is not [var role, var kind, var regex])
                continue;
            if (!roles.TryGetValue(role, out var permissions))
                roles[role] = permissions = new Dictionary<string, string>(StringComparer.Ordinal);
            permissions[kind] = regex;
        }

        return roles;
    }

    static string AdminOf(ServiceContainers services) =>
        new NpgsqlConnectionStringBuilder(services.PostgresConnectionString) { Pooling = false }.ConnectionString;

    /// <summary>A client of the management API at <paramref name="uri"/>, authenticated with the credentials in it.</summary>
    public static HttpClient ManagementClient(Uri uri)
    {
        var client = new HttpClient { BaseAddress = new Uri(uri.GetLeftPart(UriPartial.Authority) + "/") };
        var credentials = Uri.UnescapeDataString(uri.UserInfo is { Length: > 0 } info ? info : "guest:guest");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        return client;
    }
}
