using Supervisor.Rules.Repositories;

namespace Supervisor.Worker.Settings;

/// <summary>
/// <c>Supervisor:Worker:Git</c>: how this worker reaches remote repositories — the mirror cache's bound, and per host its
/// credentials and forge. Credentials are this worker's alone: git gets them through a credential helper (a token) or
/// <c>GIT_SSH_COMMAND</c> (a key file) for that host only; they are never in a URL, a log line, the database or an
/// agent's environment, and an agent that prints one has it redacted.
/// </summary>
public sealed class WorkerGitOptions
{
    public const string Section = WorkerOptions.Section + ":Git";

    /// <summary>Disk the mirrors under <c>WorkspaceRoot/.mirrors</c> may take; beyond it the least recently used ones not in use are removed.</summary>
    public long MirrorCacheMegabytes { get; set; } = 20 * 1024;

    /// <summary>Per host name (as in the URL, e.g. <c>github.com</c>): credentials and forge.</summary>
    public Dictionary<string, GitHostOptions> Hosts { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The settings for <paramref name="url"/>'s host; an empty set when none are configured.</summary>
    public GitHostOptions For(RemoteUrl url) =>
        url.Host.Length > 0 && Hosts.TryGetValue(url.Host, out var host) ? host : GitHostOptions.None;

    /// <summary>Every token configured (read from its file where it is one), for redaction.</summary>
    public IEnumerable<string> Tokens() => Hosts.Values.Select(h => h.ReadToken()).OfType<string>();

    public IEnumerable<string> Validate()
    {
        if (MirrorCacheMegabytes < 1)
            yield return $"{Section}:MirrorCacheMegabytes: must be at least 1 (it is {MirrorCacheMegabytes}).";
        foreach (var (name, host) in Hosts)
        {
            foreach (var problem in host.Validate())
                yield return $"{Section}:Hosts:{name}:{problem}";
        }
    }
}

/// <summary>One host's entry in <c>Supervisor:Worker:Git:Hosts</c>.</summary>
public sealed class GitHostOptions
{
    public static readonly GitHostOptions None = new();

    /// <summary>User name sent with the token over https (forges accept any non-empty name with a token).</summary>
    public string Username { get; set; } = "x-access-token";

    /// <summary>The https token, given directly (from an environment variable, say); prefer <see cref="TokenFile"/>.</summary>
    public string? Token { get; set; }

    /// <summary>A file holding the https token (its first line), read at each use so that a rotated token takes effect.</summary>
    public string? TokenFile { get; set; }

    /// <summary>The private key for ssh:// and user@host:path URLs of this host.</summary>
    public string? SshKeyFile { get; set; }

    /// <summary>The known_hosts file ssh checks this host's key against; default ssh's own (the worker user's and the system's).</summary>
    public string? KnownHostsFile { get; set; }

    /// <summary><c>github</c>, <c>gitlab</c> or <c>gitea</c> (Forgejo too): the pattern of the compare link in a task's result.</summary>
    public string? Forge { get; set; }

    /// <summary>
    /// The forge's REST API, for pull requests: <c>https://api.github.com</c>, GitHub Enterprise's
    /// <c>https://host/api/v3</c>, Gitea's and Forgejo's <c>https://host/api/v1</c>. Unset: no pull requests on this host.
    /// </summary>
    public string? ApiUrl { get; set; }

    /// <summary>The token, from <see cref="Token"/> or <see cref="TokenFile"/>; null when neither is set.</summary>
    public string? ReadToken()
    {
        if (Token is { Length: > 0 })
            return Token;
        if (TokenFile is not { Length: > 0 } || !File.Exists(TokenFile))
            return null;
        var line = File.ReadLines(TokenFile).FirstOrDefault()?.Trim();
        return line is { Length: > 0 } ? line : null;
    }

    public IEnumerable<string> Validate()
    {
        if (Token is { Length: > 0 } && TokenFile is { Length: > 0 })
            yield return "Token: give Token or TokenFile, not both.";
        if (TokenFile is { Length: > 0 } file && (!Path.IsPathFullyQualified(file) || !File.Exists(file)))
            yield return $"TokenFile: '{file}' is not an absolute path of an existing file.";
        if (string.IsNullOrWhiteSpace(Username) || Username.Any(char.IsControl))
            yield return "Username: must not be empty.";
        foreach (var (name, path) in new[] { ("SshKeyFile", SshKeyFile), ("KnownHostsFile", KnownHostsFile) })
        {
            if (path is { Length: > 0 } && (!Path.IsPathFullyQualified(path) || !File.Exists(path) || path.Contains('\'', StringComparison.Ordinal)))
                yield return $"{name}: '{path}' is not an absolute path of an existing file (without quotes).";
        }

        if (ApiUrl is { Length: > 0 } api && !(Uri.TryCreate(api, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"))
            yield return $"ApiUrl: '{api}' is not an absolute https:// URL (e.g. https://api.github.com).";
        if (Forge is { Length: > 0 } forge && !ForgeLinks.Kinds.Contains(forge.ToLowerInvariant(), StringComparer.Ordinal))
            yield return $"Forge: '{forge}' is not one of {string.Join(", ", ForgeLinks.Kinds)}.";
    }
}
