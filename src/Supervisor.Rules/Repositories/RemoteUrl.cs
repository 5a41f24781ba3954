using System.Globalization;

namespace Supervisor.Rules.Repositories;

/// <summary>
/// A remote repository a task names by URL: <c>https://</c>, <c>http://</c>, <c>ssh://</c> and scp-style
/// (<c>git@host:owner/repo.git</c>), <c>git://</c> and <c>file://</c>. Nothing else: git's other transports
/// (<c>ext::</c> runs a command, remote helpers run programs) never come from a task. A URL carries no credentials
/// (only ssh's user name, which is not one): they are the worker's, per host, so a URL is safe to store, log and show.
/// </summary>
public sealed record RemoteUrl
{
    /// <summary>The schemes a task may use; scp-style URLs are <c>ssh</c>.</summary>
    public static readonly IReadOnlyList<string> Schemes = ["https", "http", "ssh", "git", "file"];

    RemoteUrl(string text, string scheme, string host, int? port, string path)
    {
        Text = text;
        Scheme = scheme;
        Host = host;
        Port = port;
        Path = path;
    }

    /// <summary>The URL as the task gave it (trimmed): what git is given, and what is stored and shown.</summary>
    public string Text { get; }

    /// <summary><c>https</c>, <c>http</c>, <c>ssh</c>, <c>git</c> or <c>file</c>.</summary>
    public string Scheme { get; }

    /// <summary>The host, lower case; empty for <c>file://</c>.</summary>
    public string Host { get; }

    public int? Port { get; }

    /// <summary>The repository's path on its host: <c>owner/repo.git</c>, or the absolute path of a <c>file://</c> URL.</summary>
    public string Path { get; }

    public bool IsFile => Scheme == "file";

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says why, for a message naming the field.</summary>
    public static bool TryParse(string? text, out RemoteUrl url, out string error)
    {
        url = null!;
        error = "";
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            error = "is empty.";
            return false;
        }

        if (trimmed.Length > 2048 || trimmed.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            error = "must be one URL of at most 2048 characters, without spaces or control characters.";
            return false;
        }

        if (trimmed.StartsWith('-'))
        {
            error = $"'{trimmed}' starts with '-', which git would read as an option.";
            return false;
        }

        var schemeEnd = trimmed.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return TryParseScpStyle(trimmed, out url, out error);
        }

        var scheme = trimmed[..schemeEnd].ToLowerInvariant();
        if (!Schemes.Contains(scheme, StringComparer.Ordinal))
        {
            error = $"'{trimmed[..schemeEnd]}://' is not a transport tasks may use ({string.Join(", ", Schemes.Select(s => s + "://"))} or user@host:path).";
            return false;
        }

        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri))
        {
            error = $"'{trimmed}' is not a valid URL.";
            return false;
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            error = "must not have a query or a fragment.";
            return false;
        }

        if (uri.UserInfo.Length > 0 && (scheme != "ssh" || uri.UserInfo.Contains(':', StringComparison.Ordinal)))
        {
            error = "must not carry credentials: the workers hold them, per host (Supervisor:Worker:Git:Hosts); give the URL without them.";
            return false;
        }

        if (scheme == "file")
        {
            if (uri.Host.Length > 0 && !uri.IsLoopback)
            {
                error = "a file:// URL names a path on the worker's machine: file:///absolute/path.";
                return false;
            }

            url = new RemoteUrl(trimmed, scheme, "", null, Uri.UnescapeDataString(uri.AbsolutePath));
            return true;
        }

        var path = Uri.UnescapeDataString(uri.AbsolutePath).TrimStart('/');
        if (uri.Host.Length == 0 || uri.Host.StartsWith('-') || path.Length == 0)
        {
            error = $"'{trimmed}' names no host or no repository path.";
            return false;
        }

        url = new RemoteUrl(trimmed, scheme, uri.Host.ToLowerInvariant(), uri.IsDefaultPort ? null : uri.Port, path);
        return true;
    }

    /// <summary><c>[user@]host:path</c>, git's other way of writing an ssh URL: no slash before the first colon.</summary>
    static bool TryParseScpStyle(string text, out RemoteUrl url, out string error)
    {
        url = null!;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        // <transport>::<address> runs a remote helper (ext:: runs a command), whatever git's allowed protocols say elsewhere
        var helper = text.IndexOf("::", StringComparison.Ordinal);
        if (colon <= 0 || (slash >= 0 && slash < colon) || (helper >= 0 && (slash < 0 || helper < slash)))
        {
            error = $"'{text}' is not a repository URL (https://host/owner/repo.git, ssh://host/path, user@host:path, git://host/path, file:///path); " +
                "a local clone is repository.path.";
            return false;
        }

        var at = text.LastIndexOf('@', colon);
        var host = text[(at + 1)..colon];
        var path = text[(colon + 1)..];
        if (host.Length == 0 || path.Length == 0 || host.StartsWith('-') || Uri.CheckHostName(host.Trim('[', ']')) == UriHostNameType.Unknown)
        {
            error = $"'{text}' names no valid host or no repository path.";
            return false;
        }

        error = "";
        url = new RemoteUrl(text, "ssh", host.Trim('[', ']').ToLowerInvariant(), null, path.TrimStart('/'));
        return true;
    }

    /// <summary>Whether the host is one of <paramref name="allowedHosts"/> (host names, any case; <c>*</c> allows every host).</summary>
    public bool HostAllowed(IEnumerable<string> allowedHosts) =>
        allowedHosts.Any(h => h == "*" || string.Equals(h.Trim(), Host, StringComparison.OrdinalIgnoreCase));

    /// <summary>One folder name per URL: the host and the repository's name for people, a hash of the whole URL for uniqueness.</summary>
    public string CacheName()
    {
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Text)))[..16];
        var name = System.IO.Path.GetFileName(Path.TrimEnd('/'));
        if (name.EndsWith(".git", StringComparison.Ordinal))
            name = name[..^4];
        var readable = new string([.. $"{Host}-{name}".Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_')]).Trim('.', '-');
        return string.Create(CultureInfo.InvariantCulture, $"{(readable.Length > 40 ? readable[..40] : readable)}-{hash}.git");
    }

    public override string ToString() => Text;
}
