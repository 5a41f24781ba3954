namespace Supervisor.Cli.Api;

/// <summary>An <c>application/problem+json</c> body (RFC 9457) with ASP.NET's validation <c>errors</c> extension.</summary>
sealed record Problem(string? Title, int? Status, string? Detail, IReadOnlyDictionary<string, string[]>? Errors);
