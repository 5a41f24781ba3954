using System.Globalization;
using Supervisor.Rules.Repositories;
using Supervisor.Worker.Settings;

namespace Supervisor.Worker.Workspaces;

/// <summary>
/// What git needs to fetch from and push to one remote with this worker's credentials for its host, and nothing more:
/// only the URL's own transport is allowed (<c>GIT_ALLOW_PROTOCOL</c>: no <c>ext::</c>, no redirect to another
/// transport), redirects are not followed (a token is never sent to a host it was not configured for), every configured
/// credential helper is dropped and replaced by one of the worker's own that answers only for the URL's host, from
/// environment variables of that git process (a token is never on a command line, where <c>ps</c> shows it), and ssh
/// runs in batch mode with the host's key file and a strict host key check.
/// </summary>
sealed class RemoteAccess
{
    /// <summary>
    /// A credential helper (git runs <c>!…</c> through the shell with <c>get</c>, <c>store</c> or <c>erase</c>): for
    /// <c>get</c> it reads git's request and answers with the token only when the host is the configured one.
    /// </summary>
    const string Helper =
        "!f() { test \"$1\" = get || return 0; h=; while IFS= read -r l && [ -n \"$l\" ]; do case \"$l\" in host=*) h=\"${l#host=}\";; esac; done; " +
        "[ \"$h\" = \"$SUPERVISOR_GIT_HOST\" ] || return 0; printf 'username=%s\\npassword=%s\\n' \"$SUPERVISOR_GIT_USERNAME\" \"$SUPERVISOR_GIT_TOKEN\"; }; f";

    RemoteAccess(RemoteUrl url, string[] options, IReadOnlyDictionary<string, string?> environment)
    {
        Url = url;
        Options = options;
        Environment = environment;
    }

    public RemoteUrl Url { get; }

    /// <summary>Configuration for the command line, before the subcommand.</summary>
    public string[] Options { get; }

    public IReadOnlyDictionary<string, string?> Environment { get; }

    public static RemoteAccess For(RemoteUrl url, GitHostOptions host)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(host);
        var environment = new Dictionary<string, string?>(GitCli.BaseEnvironment, StringComparer.Ordinal)
        {
            ["GIT_ALLOW_PROTOCOL"] = url.Scheme,
            // git's own prompts and helpers programs of the worker's environment are off: the only answer is the helper below
            ["SSH_ASKPASS"] = null,
            ["SSH_AUTH_SOCK"] = null,
        };
        List<string> options = ["-c", "credential.helper=", "-c", "http.followRedirects=false", "-c", "core.askPass="];
        if (url.Scheme is "https" or "http" && host.ReadToken() is { } token)
        {
            options.AddRange(["-c", "credential.helper=" + Helper]);
            environment["SUPERVISOR_GIT_HOST"] = url.Port is { } port ? string.Create(CultureInfo.InvariantCulture, $"{url.Host}:{port}") : url.Host;
            environment["SUPERVISOR_GIT_USERNAME"] = host.Username;
            environment["SUPERVISOR_GIT_TOKEN"] = token;
        }

        if (url.Scheme == "ssh")
        {
            var ssh = "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes";
            if (host.SshKeyFile is { Length: > 0 } key)
                ssh += $" -o IdentitiesOnly=yes -i '{key}'";
            if (host.KnownHostsFile is { Length: > 0 } known)
                ssh += $" -o UserKnownHostsFile='{known}'";
            environment["GIT_SSH_COMMAND"] = ssh;
        }

        return new RemoteAccess(url, [.. options], environment);
    }
}
