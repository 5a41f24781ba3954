using System.Net;

namespace Supervisor.Service.Api;

/// <summary><c>Supervisor:Api</c>: where the HTTP API listens, how it is protected, and how large requests may be.</summary>
public sealed class ApiOptions : Supervisor.Settings.IValidatedOptions
{
    public const string Section = "Supervisor:Api";

    /// <summary>Semicolon-separated listen URLs; loopback by default.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:5080";

    /// <summary>Bearer token required on every /api request when set; mandatory when listening beyond loopback.</summary>
    public string? Token { get; set; }

    public int MaxPromptChars { get; set; } = 256 * 1024;

    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    public int MaxLabels { get; set; } = 32;

    /// <summary>Log followers (<c>GET /api/tasks/{id}/logs?follow=true</c>) this instance serves at once; more are told to come back (503).</summary>
    public int MaxLogFollowers { get; set; } = 200;

    /// <summary>How far ahead a task's runAt may lie.</summary>
    public TimeSpan MaxRunAtAhead { get; set; } = TimeSpan.FromDays(365);

    /// <summary>When set, a task's repository.path must lie under one of these directories (symbolic links resolved).</summary>
    public List<string> AllowedRepositoryRoots { get; set; } = [];

    public IReadOnlyList<string> UrlList => Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        foreach (var url in UrlList)
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal),
                    UriKind.Absolute, out var uri))
            {
                errors.Add($"{Section}:Urls: '{url}' is not a URL.");
                continue;
            }

            if (!IsLoopback(uri) && string.IsNullOrEmpty(Token))
                errors.Add($"{Section}:Token: required because the API listens beyond loopback on '{url}'.");
        }

        foreach (var root in AllowedRepositoryRoots.Where(r => !Path.IsPathFullyQualified(r)))
            errors.Add($"{Section}:AllowedRepositoryRoots: '{root}' must be an absolute path.");
        if (MaxPromptChars < 1)
            errors.Add($"{Section}:MaxPromptChars: must be positive.");
        if (MaxRequestBytes < 1)
            errors.Add($"{Section}:MaxRequestBytes: must be positive.");
        if (MaxLabels < 0)
            errors.Add($"{Section}:MaxLabels: must not be negative.");
        if (MaxLogFollowers < 1)
            errors.Add($"{Section}:MaxLogFollowers: must be at least 1.");
        if (MaxRunAtAhead < TimeSpan.FromMinutes(1))
            errors.Add($"{Section}:MaxRunAtAhead: must be at least 00:01:00 (it is {MaxRunAtAhead}).");
        return errors;
    }

    static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
