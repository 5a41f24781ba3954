namespace Supervisor.Worker.Containers;

/// <summary>
/// A Docker engine request that failed. <see cref="StatusCode"/> is the engine's HTTP status, with the engine's own
/// message in <see cref="Exception.Message"/>; it is null when the engine could not be reached or the connection broke.
/// </summary>
public sealed class DockerEngineException(string message, int? statusCode, Exception? inner = null) : Exception(message, inner)
{
    public int? StatusCode { get; } = statusCode;

    public bool Unreachable => StatusCode is null;

    /// <summary>The request itself was wrong for this engine (bad configuration, missing image or command), not the engine failing.</summary>
    public bool IsClientError => StatusCode is >= 400 and < 500;
}
