using System.Globalization;

namespace Supervisor.Rules.Repositories;

/// <summary>
/// Where people look at a pushed branch: the compare page of the forge that hosts the repository, when its URL pattern
/// is known. GitHub and GitLab are known by their public hosts; any other host is named in the worker's configuration
/// (<c>Supervisor:Worker:Git:Hosts:&lt;host&gt;:Forge</c>). Gitea and Forgejo share GitHub's pattern.
/// </summary>
public static class ForgeLinks
{
    public const string GitHub = "github";
    public const string GitLab = "gitlab";
    public const string Gitea = "gitea";

    public static readonly IReadOnlyList<string> Kinds = [GitHub, GitLab, Gitea];

    /// <summary>The forge of <paramref name="url"/>'s host: <paramref name="configured"/> when given, else by the public host's name.</summary>
    public static string? KindOf(RemoteUrl url, string? configured)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (configured is { Length: > 0 })
            return configured.ToLowerInvariant();
        return url.Host switch
        {
            "github.com" => GitHub,
            "gitlab.com" => GitLab,
            "codeberg.org" => Gitea,
            _ => null,
        };
    }

    /// <summary>The repository's web address (<c>https://host/owner/repo</c>), or null for a <c>file://</c> URL.</summary>
    public static string? WebBase(RemoteUrl url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.IsFile)
            return null;
        var path = url.Path.TrimEnd('/');
        if (path.EndsWith(".git", StringComparison.Ordinal))
            path = path[..^4];
        // The web answers on https for ssh and git URLs; an http URL (a server on a private network) keeps its scheme and port.
        var authority = url.Scheme is "http" or "https" && url.Port is { } port
            ? string.Create(CultureInfo.InvariantCulture, $"{url.Host}:{port}")
            : url.Host;
        return $"{(url.Scheme == "http" ? "http" : "https")}://{authority}/{path}";
    }

    /// <summary>The page comparing <paramref name="branch"/> with <paramref name="baseCommit"/>, or null when the forge is unknown.</summary>
    public static string? Compare(RemoteUrl url, string? forge, string baseCommit, string branch)
    {
        if (forge is null || WebBase(url) is not { } web)
            return null;
        var target = Uri.EscapeDataString(branch).Replace("%2F", "/", StringComparison.Ordinal);
        return forge switch
        {
            GitHub or Gitea => $"{web}/compare/{baseCommit}...{target}",
            GitLab => $"{web}/-/compare/{baseCommit}...{target}",
            _ => null,
        };
    }
}
