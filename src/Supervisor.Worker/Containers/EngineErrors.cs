using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Docker.DotNet;

namespace Supervisor.Worker.Containers;

/// <summary>
/// What the worker makes of the Docker client's exceptions: the engine failing (the attempt is a ContainerCrash, and
/// retried) or refusing the request (a start error: retrying will not help), and a message naming the engine.
/// </summary>
public static class EngineErrors
{
    /// <summary>
    /// The engine failed the request, could not be reached, broke the connection or did not answer in time (the client's
    /// <see cref="DockerConnection.RequestTimeout"/> ends a request as a cancellation the caller did not ask for).
    /// </summary>
    public static bool IsFailure(Exception e, CancellationToken callerToken) =>
        e is DockerApiException or HttpRequestException or IOException or SocketException or TimeoutException
        || (e is OperationCanceledException && !callerToken.IsCancellationRequested);

    /// <summary>The request was wrong for this engine (bad configuration, missing image or command), not the engine failing.</summary>
    public static bool IsRefusal(Exception e) =>
        e is DockerApiException { StatusCode: >= HttpStatusCode.BadRequest and < HttpStatusCode.InternalServerError };

    /// <summary>
    /// The engine's own message when it answered; otherwise what went wrong on the way to the engine at
    /// <paramref name="endpoint"/> (a cancellation is taken for the end of <paramref name="within"/>, by default the client's
    /// <see cref="DockerConnection.RequestTimeout"/>).
    /// </summary>
    public static string Describe(Exception e, Uri endpoint, TimeSpan? within = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e switch
        {
            DockerApiException api => EngineMessage(api),
            TimeoutException => e.Message,
            OperationCanceledException => string.Create(CultureInfo.InvariantCulture,
                $"the Docker engine at {endpoint} did not answer within {(within ?? DockerConnection.RequestTimeout).TotalSeconds:0}s"),
            _ => $"the Docker engine at {endpoint} is unreachable ({Innermost(e).Message})",
        };
    }

    /// <summary>The <c>message</c> of the engine's JSON error body, else the status and whatever text there was.</summary>
    static string EngineMessage(DockerApiException e)
    {
        var text = e.ResponseBody?.Trim() ?? "";
        try
        {
            using var json = JsonDocument.Parse(text);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("message", out var message)
                && message.ValueKind == JsonValueKind.String && message.GetString() is { Length: > 0 } value)
            {
                return value;
            }
        }
        catch (JsonException)
        {
            // Not the engine's JSON error body (a proxy's page, an empty body): the status and the text will do.
        }

        return string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)e.StatusCode} {e.StatusCode}{(text.Length > 0 ? ": " + text : "")}");
    }

    static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;
}
