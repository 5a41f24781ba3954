using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Supervisor.Worker.Containers;

/// <summary>
/// A small typed client of the Docker Engine HTTP API, over its unix socket or plain TCP (<see cref="DockerEndpoint"/>),
/// covering what per-attempt containers need. Requests use the API version the engine reports for itself (asked once,
/// with <c>/_ping</c>). Every failure is a <see cref="DockerEngineException"/> carrying the engine's own message.
/// </summary>
public sealed class DockerClient : IDisposable
{
    /// <summary>Bound on every request that is not a stream (wait and logs have none).</summary>
    static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    readonly HttpClient _http;
    readonly SemaphoreSlim _versionGate = new(1, 1);
    string? _apiVersion;

    public DockerClient(DockerEndpoint endpoint)
    {
        Endpoint = endpoint;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        if (endpoint.SocketPath is { } path)
        {
            handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        _http = new HttpClient(handler) { BaseAddress = endpoint.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
    }

    public static DockerClient FromEnvironment() => new(DockerEndpoint.FromEnvironment());

    public DockerEndpoint Endpoint { get; }

    /// <summary>The engine's API version (also proves it answers).</summary>
    public async Task<string> PingAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, "/_ping", null, "ping", cancellationToken, versioned: false);
        return response.Headers.TryGetValues("API-Version", out var values) ? values.First() : "1.25";
    }

    public async Task<EngineVersion> VersionAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, "/version", null, "version", cancellationToken);
        return await ReadAsync<EngineVersion>(response, cancellationToken);
    }

    /// <summary>The image, or null when the engine does not have it.</summary>
    public async Task<ImageInspection?> InspectImageAsync(string image, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, $"/images/{Uri.EscapeDataString(image)}/json", null, $"inspect image {image}",
            cancellationToken, allow: HttpStatusCode.NotFound);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await ReadAsync<ImageInspection>(response, cancellationToken);
    }

    public async Task<string> CreateContainerAsync(ContainerCreateRequest request, string name, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"/containers/create?name={Uri.EscapeDataString(name)}",
            JsonContent.Create(request, options: Json), $"create container {name} from {request.Image}", cancellationToken);
        return (await ReadAsync<ContainerCreated>(response, cancellationToken)).Id;
    }

    public async Task StartContainerAsync(string id, CancellationToken cancellationToken)
    {
        using var _ = await SendAsync(HttpMethod.Post, $"/containers/{id}/start", null, $"start container {Short(id)}", cancellationToken);
    }

    /// <summary>Waits until the container stops; no time limit but the token.</summary>
    public async Task<ContainerExit> WaitContainerAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"/containers/{id}/wait", null, $"wait for container {Short(id)}", cancellationToken,
            stream: true);
        return await ReadAsync<ContainerExit>(response, cancellationToken, $"wait for container {Short(id)}");
    }

    /// <summary>
    /// The container's stdout and stderr from its start; with <paramref name="follow"/>, on until the container stops
    /// (the engine keeps a container's whole output, so nothing before the call is missed).
    /// </summary>
    public async Task ReadLogsAsync(string id, bool follow, Func<string, ReadOnlyMemory<byte>, ValueTask> onFrame, CancellationToken cancellationToken)
    {
        var what = $"read the output of container {Short(id)}";
        using var response = await SendAsync(HttpMethod.Get, $"/containers/{id}/logs?follow={(follow ? 1 : 0)}&stdout=1&stderr=1", null, what,
            cancellationToken, stream: true);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var frames = new DockerLogReader(body);
            while (await frames.ReadFrameAsync(cancellationToken) is { } frame)
                await onFrame(frame.Stream, frame.Payload);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw Unreachable(what, e);
        }
    }

    /// <summary>Sends <paramref name="signal"/>; false when the container was not running (any more).</summary>
    public async Task<bool> KillContainerAsync(string id, string signal, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"/containers/{id}/kill?signal={signal}", null, $"kill container {Short(id)}",
            cancellationToken, allow: HttpStatusCode.Conflict);
        return response.IsSuccessStatusCode;
    }

    /// <summary>The container, or null when it does not exist.</summary>
    public async Task<ContainerInspection?> InspectContainerAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, $"/containers/{id}/json", null, $"inspect container {Short(id)}", cancellationToken,
            allow: HttpStatusCode.NotFound);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await ReadAsync<ContainerInspection>(response, cancellationToken);
    }

    /// <summary>Removes the container and its anonymous volumes (killing it first when <paramref name="force"/>); false when it was already gone.</summary>
    public async Task<bool> RemoveContainerAsync(string id, bool force, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"/containers/{id}?v=1&force={(force ? 1 : 0)}", null, $"remove container {Short(id)}",
            cancellationToken, allow: HttpStatusCode.NotFound);
        return response.IsSuccessStatusCode;
    }

    /// <summary>Containers, running or not, that carry <paramref name="label"/> (<c>key</c> or <c>key=value</c>).</summary>
    public async Task<IReadOnlyList<ContainerSummary>> ListContainersAsync(string label, CancellationToken cancellationToken)
    {
        var filters = Uri.EscapeDataString(JsonSerializer.Serialize(new Dictionary<string, string[]>(StringComparer.Ordinal) { ["label"] = [label] }));
        using var response = await SendAsync(HttpMethod.Get, $"/containers/json?all=1&filters={filters}", null, $"list containers labelled {label}",
            cancellationToken);
        return await ReadAsync<List<ContainerSummary>>(response, cancellationToken);
    }

    async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, string what,
        CancellationToken cancellationToken, bool versioned = true, bool stream = false, HttpStatusCode? allow = null)
    {
        using var timeout = stream ? new CancellationTokenSource() : new CancellationTokenSource(RequestTimeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var prefix = versioned ? "/v" + await ApiVersionAsync(linked.Token) : "";
        using var request = new HttpRequestMessage(method, prefix + path) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, stream ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead,
                linked.Token);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(what, e);
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new DockerEngineException($"{what}: the Docker engine at {Endpoint} did not answer within {RequestTimeout.TotalSeconds:0}s", null, e);
        }

        if (response.IsSuccessStatusCode || response.StatusCode == allow)
            return response;

        using (response)
        {
            var message = await ErrorMessageAsync(response, cancellationToken);
            throw new DockerEngineException($"{what}: {message}", (int)response.StatusCode);
        }
    }

    async Task<string> ApiVersionAsync(CancellationToken cancellationToken)
    {
        if (_apiVersion is { } known)
            return known;
        await _versionGate.WaitAsync(cancellationToken);
        try
        {
            return _apiVersion ??= await PingAsync(cancellationToken);
        }
        finally
        {
            _versionGate.Release();
        }
    }

    async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken, string? what = null)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken)
                ?? throw new DockerEngineException($"the Docker engine at {Endpoint} answered {response.RequestMessage?.RequestUri?.AbsolutePath} with null", 500);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw Unreachable(what ?? response.RequestMessage?.RequestUri?.AbsolutePath ?? "read", e);
        }
    }

    static async Task<string> ErrorMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = "";
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken);
            using var json = JsonDocument.Parse(text);
            if (json.RootElement.TryGetProperty("message", out var message) && message.GetString() is { Length: > 0 } value)
                return value;
        }
        catch (Exception e) when (e is JsonException or IOException or HttpRequestException)
        {
            // Not the engine's JSON error body: the status and whatever text there was will do.
        }

        return string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}{(text.Length > 0 ? ": " + text.Trim() : "")}");
    }

    DockerEngineException Unreachable(string what, Exception e) =>
        new($"{what}: the Docker engine at {Endpoint} is unreachable ({Innermost(e).Message})", null, e);

    static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;

    static string Short(string id) => id.Length > 12 ? id[..12] : id;

    public void Dispose()
    {
        _http.Dispose();
        _versionGate.Dispose();
    }
}
