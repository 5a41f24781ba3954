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
    }

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
