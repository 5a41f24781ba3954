using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Supervisor.Contracts;

namespace Supervisor.Service.Api;

/// <summary>
/// The configured tokens, as the current configuration has them (<see cref="IOptionsMonitor{T}"/>: a token added to
/// <c>Supervisor:Api:TokensFile</c> works at once). A configuration reloaded with an error is logged and ignored: the
/// tokens before it stay in force.
/// </summary>
public sealed partial class ApiTokens(IOptionsMonitor<ApiOptions> monitor, ILogger<ApiTokens> logger)
{
    readonly Lock _lock = new();
    ApiOptions? _options;
    Entry[] _entries = [];
    string? _refused;

    /// <summary>The identity of a presented token, or null when it is none of them.</summary>
    public ClaimsPrincipal? Find(string presented)
    {
        var digest = ApiTokenFormat.Digest(presented);
        ClaimsPrincipal? found = null;
        // Every entry compared in constant time, none skipped: how long this takes says nothing of which was close.
        foreach (var entry in Current().Entries)
        {
            if (CryptographicOperations.FixedTimeEquals(digest, entry.Digest))
                found = entry.Identity;
        }

        return found;
    }

    /// <summary>The identity of a caller without a token: the anonymous admin when allowed, else null.</summary>
    public ClaimsPrincipal? Anonymous => Current().Options.AllowAnonymous ? Principal(ApiTokenFormat.AnonymousName, ApiRole.Admin) : null;

    (ApiOptions Options, Entry[] Entries) Current()
    {
        ApiOptions options;
        try
        {
            options = monitor.CurrentValue;
        }
        catch (OptionsValidationException e)
        {
            lock (_lock)
            {
                if (_options is not null)
                {
                    // Every request asks again until the file changes: said once per failure, not once per request.
                    var failure = string.Join(" ", e.Failures);
                    if (failure != _refused)
                        LogReloadRefused(failure);
                    _refused = failure;
                    return (_options, _entries);
                }
            }

            throw;
        }

        lock (_lock)
        {
            if (!ReferenceEquals(options, _options))
            {
                _entries = Build(options);
                if (_options is not null)
                    LogTokensLoaded(_entries.Length);
                _options = options;
                _refused = null;
            }

            return (_options, _entries);
        }
    }

    static Entry[] Build(ApiOptions options)
    {
        var entries = new List<Entry>();
        foreach (var (name, token) in options.Tokens)
        {
            if (ApiTokenFormat.ParseHash(token.Hash) is { } digest && Enum.TryParse<ApiRole>(token.Role, ignoreCase: true, out var role))
                entries.Add(new Entry(digest, Principal(name, role)));
        }

        if (options.Token is { Length: > 0 } shared)
            entries.Add(new Entry(ApiTokenFormat.Digest(shared), Principal(ApiTokenFormat.SharedName, ApiRole.Admin)));
        return [.. entries];
    }

    static ClaimsPrincipal Principal(string name, ApiRole role) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role.Name())], BearerTokenHandler.SchemeName));

    [LoggerMessage(LogLevel.Information, "API tokens reloaded: {Count} configured")]
    partial void LogTokensLoaded(int count);

    [LoggerMessage(LogLevel.Error, "The reloaded API configuration is refused, the tokens before it stay in force: {Errors}")]
    partial void LogReloadRefused(string errors);

    sealed record Entry(byte[] Digest, ClaimsPrincipal Identity);
}
