using System.Net;
using Supervisor.Contracts;

namespace Supervisor.Service.Api;

/// <summary><c>Supervisor:Api</c>: where the HTTP API listens, who may call it, and how large requests may be.</summary>
public sealed class ApiOptions : Supervisor.Settings.IValidatedOptions
{
    public const string Section = "Supervisor:Api";

    /// <summary>Semicolon-separated listen URLs; loopback by default. <c>https://</c> needs <see cref="Certificate"/>.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:5080";

    /// <summary>Named tokens, stored as hashes, each with a role (<c>Supervisor:Api:Tokens:&lt;name&gt;:Hash</c> and <c>:Role</c>).</summary>
    public Dictionary<string, ApiTokenOptions> Tokens { get; set; } = new(StringComparer.Ordinal);

    /// <summary>One shared token in clear, kept from before named tokens: an admin named <see cref="ApiTokenFormat.SharedName"/>.</summary>
    public string? Token { get; set; }

    /// <summary>A JSON configuration file read after the others and watched: tokens added there work without a restart.</summary>
    public string? TokensFile { get; set; }

    /// <summary>Development only: a caller without a token acts as <see cref="ApiTokenFormat.AnonymousName"/>, an admin. Loopback URLs only.</summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>The certificate of the <c>https://</c> URLs.</summary>
    public ApiCertificateOptions Certificate { get; set; } = new();

    /// <summary>Requests per token: a token bucket per token name.</summary>
    public ApiRateLimitOptions RateLimit { get; set; } = new();

    public int MaxPromptChars { get; set; } = 256 * 1024;

    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    public int MaxLabels { get; set; } = 32;

    /// <summary>Log followers (<c>GET /api/tasks/{id}/logs?follow=true</c>) this instance serves at once; more are told to come back (503).</summary>
    public int MaxLogFollowers { get; set; } = 200;

    /// <summary>Database connections the log followers of this instance share (a pool of their own, apart from the saga's).</summary>
    public int LogFollowerConnections { get; set; } = 4;

    /// <summary>How far ahead a task's runAt may lie.</summary>
    public TimeSpan MaxRunAtAhead { get; set; } = TimeSpan.FromDays(365);

    /// <summary>When set, a task's repository.path must lie under one of these directories (symbolic links resolved).</summary>
    public List<string> AllowedRepositoryRoots { get; set; } = [];

    public IReadOnlyList<string> UrlList => Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Whether any URL is <c>https://</c>.</summary>
    public bool ServesHttps => UrlList.Any(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase));

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        foreach (var url in UrlList)
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal),
                    UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add($"{Section}:Urls: '{url}' is not an http:// or https:// URL.");
                continue;
            }

            if (!IsLoopback(uri) && AllowAnonymous)
                errors.Add($"{Section}:AllowAnonymous: must not be true when the API listens beyond loopback ('{url}'); give callers tokens.");
        }

        foreach (var (name, token) in Tokens)
        {
            if (!ApiTokenFormat.IsName(name))
                errors.Add($"{Section}:Tokens:{name}: {ApiTokenFormat.NameRule}.");
            if (ApiTokenFormat.ReservedNames.Contains(name, StringComparer.Ordinal))
                errors.Add($"{Section}:Tokens:{name}: '{name}' is reserved (see {Section}:{(name == ApiTokenFormat.AnonymousName ? "AllowAnonymous" : "Token")}).");
            if (ApiTokenFormat.ParseHash(token.Hash) is null)
                errors.Add($"{Section}:Tokens:{name}:Hash: must be '{ApiTokenFormat.HashPrefix}' and 64 hexadecimal digits (supervisor tokens new {name} --role ROLE prints it).");
            if (!ApiTokenFormat.Roles.Contains(token.Role, StringComparer.OrdinalIgnoreCase))
                errors.Add($"{Section}:Tokens:{name}:Role: '{token.Role}' is not one of {string.Join(", ", ApiTokenFormat.Roles)}.");
        }

        if (Tokens.Count == 0 && string.IsNullOrEmpty(Token) && string.IsNullOrEmpty(TokensFile) && !AllowAnonymous)
        {
            errors.Add($"{Section}:Tokens: no API token is configured, and every caller needs one (loopback included): create one with "
                + $"'supervisor tokens new NAME --role admin', or set {Section}:AllowAnonymous=true for development on loopback.");
        }

        if (TokensFile is { Length: > 0 } file && !Path.IsPathFullyQualified(file))
            errors.Add($"{Section}:TokensFile: '{file}' must be an absolute path.");
        else if (TokensFile is { Length: > 0 } && !File.Exists(TokensFile))
            errors.Add($"{Section}:TokensFile: '{TokensFile}' does not exist.");
        errors.AddRange(Certificate.Validate(ServesHttps));
        errors.AddRange(RateLimit.Validate());
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
        if (LogFollowerConnections is < 1 or > 100)
            errors.Add($"{Section}:LogFollowerConnections: must be between 1 and 100.");
        if (MaxRunAtAhead < TimeSpan.FromMinutes(1))
            errors.Add($"{Section}:MaxRunAtAhead: must be at least 00:01:00 (it is {MaxRunAtAhead}).");
        return errors;
    }

    static bool IsLoopback(Uri uri) => uri.IsLoopback || IsLoopbackHost(uri.Host);

    /// <summary>Whether a host name as a URL or a <c>Host</c> header writes it is loopback: <c>localhost</c>, <c>127.x.x.x</c>, <c>[::1]</c>.</summary>
    internal static bool IsLoopbackHost(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}

/// <summary>One named token: the hash of its secret and its role.</summary>
public sealed class ApiTokenOptions
{
    /// <summary>The stored form of the token's secret (<see cref="ApiTokenFormat.Hash"/>).</summary>
    public string? Hash { get; set; }

    /// <summary>One of <see cref="ApiTokenFormat.Roles"/>: <c>viewer</c>, <c>submitter</c>, <c>approver</c> or <c>admin</c>.</summary>
    public string? Role { get; set; }
}

/// <summary><c>Supervisor:Api:Certificate</c>: a PKCS#12 file (with its password), or a PEM certificate with its PEM key.</summary>
public sealed class ApiCertificateOptions
{
    const string Key = ApiOptions.Section + ":Certificate";

    /// <summary>A <c>.pfx</c>/<c>.p12</c> file, or a PEM certificate (chain) when <see cref="KeyPath"/> is set.</summary>
    public string? Path { get; set; }

    /// <summary>The PEM private key of a PEM certificate.</summary>
    public string? KeyPath { get; set; }

    /// <summary>The PKCS#12 file's password, or the PEM key's when it is encrypted.</summary>
    public string? Password { get; set; }

    public IReadOnlyList<string> Validate(bool servesHttps)
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(Path))
        {
            if (servesHttps)
                errors.Add($"{Key}:Path: required because {ApiOptions.Section}:Urls has an https:// URL.");
            if (!string.IsNullOrEmpty(KeyPath))
                errors.Add($"{Key}:Path: required with {Key}:KeyPath.");
            return errors;
        }

        if (!File.Exists(Path))
            errors.Add($"{Key}:Path: '{Path}' does not exist.");
        if (KeyPath is { Length: > 0 } key && !File.Exists(key))
            errors.Add($"{Key}:KeyPath: '{key}' does not exist.");
        return errors;
    }
}

/// <summary><c>Supervisor:Api:RateLimit</c>: each token's requests, as a token bucket.</summary>
public sealed class ApiRateLimitOptions
{
    const string Key = ApiOptions.Section + ":RateLimit";

    /// <summary>Requests per second a token may make, on average.</summary>
    public int PermitsPerSecond { get; set; } = 50;

    /// <summary>Requests a token may make at once, after a quiet spell.</summary>
    public int Burst { get; set; } = 200;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (PermitsPerSecond < 1)
            errors.Add($"{Key}:PermitsPerSecond: must be at least 1.");
        if (Burst < 1)
            errors.Add($"{Key}:Burst: must be at least 1.");
        return errors;
    }
}
