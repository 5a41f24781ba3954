using System.Globalization;
using System.Text;
using CliWrap;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Supervisor.IntegrationTests.Infrastructure;

/// <summary>
/// Bare repositories served on loopback the two ways the tests reach them: <c>git daemon</c> (<c>git://</c>, pushes
/// allowed, no authentication) and git's smart HTTP (<c>git http-backend</c> behind basic authentication with one user
/// and token). Both are git's own server code; the HTTP server in front of <c>http-backend</c> speaks CGI to it. The
/// same server stands in for a forge's pulls API (<c>POST /api/v3/repos/{owner}/{repo}/pulls</c>, GitHub's shape, the
/// token as a bearer token): it checks that the head branch is on the repository and keeps each request.
/// </summary>
sealed class GitServers : IAsyncDisposable
{
    readonly CancellationTokenSource _stop;
    readonly CommandTask<CommandResult> _daemon;
    readonly WebApplication _http;
    StringBuilder _daemonLog = new();

    GitServers(string root, int daemonPort, CancellationTokenSource stop, CommandTask<CommandResult> daemon, WebApplication http, int httpPort, string user,
        string token)
    {
        _stop = stop;
        Root = root;
        DaemonPort = daemonPort;
        _daemon = daemon;
        _http = http;
        HttpPort = httpPort;
        User = user;
        Token = token;
    }

    /// <summary>The folder the bare repositories are in.</summary>
    public string Root { get; }

    public int DaemonPort { get; }

    public int HttpPort { get; }

    /// <summary>The one user the HTTP server accepts, with <see cref="Token"/> as its password.</summary>
    public string User { get; }

    public string Token { get; }

    /// <summary>The pull requests opened through the stand-in API, as their requests said.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<OpenedPullRequest> PullRequests { get; } = new();

    /// <summary>The stand-in pulls API's base, for <c>Supervisor:Worker:Git:Hosts:&lt;host&gt;:ApiUrl</c>.</summary>
    public string ApiUrl => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{HttpPort}/api/v3");

    /// <summary>What <c>git daemon</c> printed so far.</summary>
    public string DaemonLog
    {
        get
        {
            lock (_daemonLog)
                return _daemonLog.ToString();
        }
    }

    public string GitUrl(string repository) => string.Create(CultureInfo.InvariantCulture, $"git://127.0.0.1:{DaemonPort}/{repository}");

    public string HttpUrl(string repository, string host = "127.0.0.1") => string.Create(CultureInfo.InvariantCulture, $"http://{host}:{HttpPort}/{repository}");

    /// <summary>Runs git on the bare repository <paramref name="repository"/>; its trimmed stdout, or the test fails.</summary>
    public async Task<string> GitAsync(string repository, params string[] arguments)
    {
        var output = new StringBuilder();
        var error = new StringBuilder();
        var result = await CliWrap.Cli.Wrap("git").WithArguments(["--git-dir=" + Path.Combine(Root, repository), .. arguments])
            .WithStandardOutputPipe(PipeTarget.ToStringBuilder(output)).WithStandardErrorPipe(PipeTarget.ToStringBuilder(error))
            .WithValidation(CommandResultValidation.None).ExecuteAsync();
        Assert.True(result.ExitCode == 0, $"git {string.Join(' ', arguments)} in {repository}: {error}");
        return output.ToString().Trim();
    }

    /// <summary>Serves <paramref name="root"/>'s repositories; <see cref="GitRepository"/>-made repositories are added with <see cref="AddAsync"/>.</summary>
    public static async Task<GitServers> StartAsync(string root)
    {
        Directory.CreateDirectory(root);
        var daemonPort = SupervisorStack.FreePort();
        var stop = new CancellationTokenSource();
        var log = new StringBuilder();
        var daemon = CliWrap.Cli.Wrap("git")
            .WithArguments(["daemon", "--reuseaddr", "--listen=127.0.0.1", $"--port={daemonPort}", "--base-path=" + root, "--export-all",
                "--enable=receive-pack", "--informative-errors", root])
            .WithStandardErrorPipe(PipeTarget.ToDelegate(line => { lock (log) log.AppendLine(line); }))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(stop.Token);
        var user = "ci";
        var token = "gt_" + System.Security.Cryptography.RandomNumberGenerator.GetHexString(32, lowercase: true);
        var httpPort = SupervisorStack.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{httpPort}"));
        var app = builder.Build();
        GitServers? servers = null;
        app.Run(context => context.Request.Path.StartsWithSegments("/api/v3", StringComparison.Ordinal)
            ? servers!.OpenPullRequestAsync(context)
            : ServeAsync(context, root, user, token));
        await app.StartAsync();
        servers = new GitServers(root, daemonPort, stop, daemon, app, httpPort, user, token) { _daemonLog = log };
        await WaitForDaemonAsync(daemonPort);
        return servers;
    }

    /// <summary>A bare copy of <paramref name="source"/> named <paramref name="name"/>, served by both servers.</summary>
    public async Task AddAsync(string name, GitRepository source)
    {
        await source.GitAsync("clone", "--quiet", "--bare", source.Path, Path.Combine(Root, name));
        // http-backend refuses pushes unless the repository allows them (it sees the authenticated user).
        await GitAsync(name, "config", "http.receivepack", "true");
    }

    static async Task WaitForDaemonAsync(int port)
    {
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"git daemon did not listen on {port}");
    }

    /// <summary><c>POST /api/v3/repos/{owner}/{repo}/pulls</c>: 201 with the pull request's page, 401 without the token, 422 for a head branch the repository lacks.</summary>
    async Task OpenPullRequestAsync(HttpContext context)
    {
        var path = context.Request.Path.Value!["/api/v3/repos/".Length..];
        if (context.Request.Method != "POST" || !path.EndsWith("/pulls", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 404;
            return;
        }

        if (context.Request.Headers.Authorization.ToString() != "Bearer " + Token)
        {
            context.Response.StatusCode = 401;
            await context.Response.WriteAsync("""{"message": "Bad credentials"}""");
            return;
        }

        var repository = path[..^"/pulls".Length] + ".git";
        var request = await System.Text.Json.JsonSerializer.DeserializeAsync<System.Text.Json.Nodes.JsonObject>(context.Request.Body);
        var (title, head, @base, body) = (request?["title"]?.GetValue<string>(), request?["head"]?.GetValue<string>(), request?["base"]?.GetValue<string>(),
            request?["body"]?.GetValue<string>());
        var branches = await GitAsync(repository, "for-each-ref", "--format=%(refname:short)", "refs/heads");
        if (title is null || head is null || @base is null || !branches.Split('\n').Contains(head) || !branches.Split('\n').Contains(@base))
        {
            context.Response.StatusCode = 422;
            await context.Response.WriteAsync("""{"message": "Validation Failed"}""");
            return;
        }

        PullRequests.Enqueue(new OpenedPullRequest(repository, title, head, @base, body ?? ""));
        context.Response.StatusCode = 201;
        await context.Response.WriteAsJsonAsync(new Dictionary<string, object>
        {
            ["number"] = PullRequests.Count,
            ["html_url"] = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{HttpPort}/{path[..^"/pulls".Length]}/pull/{PullRequests.Count}"),
        });
    }

    /// <summary>One request: basic authentication, then <c>git http-backend</c> as CGI, its headers turned into the response's.</summary>
    static async Task ServeAsync(HttpContext context, string root, string user, string token)
    {
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{token}"));
        if (context.Request.Headers.Authorization.ToString() != expected)
        {
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"git\"";
            return;
        }

        var environment = new Dictionary<string, string?>
        {
            ["GIT_PROJECT_ROOT"] = root,
            ["GIT_HTTP_EXPORT_ALL"] = "1",
            ["PATH_INFO"] = context.Request.Path.Value,
            ["QUERY_STRING"] = context.Request.QueryString.Value?.TrimStart('?') ?? "",
            ["REQUEST_METHOD"] = context.Request.Method,
            ["CONTENT_TYPE"] = context.Request.ContentType ?? "",
            ["REMOTE_USER"] = user,
            ["REMOTE_ADDR"] = "127.0.0.1",
            ["HTTP_CONTENT_ENCODING"] = context.Request.Headers.ContentEncoding.ToString(),
            ["GIT_PROTOCOL"] = context.Request.Headers["Git-Protocol"].ToString(),
        };
        using var output = new MemoryStream();
        var error = new StringBuilder();
        await CliWrap.Cli.Wrap("git").WithArguments(["http-backend"]).WithEnvironmentVariables(environment)
            .WithStandardInputPipe(PipeSource.FromStream(context.Request.Body))
            .WithStandardOutputPipe(PipeTarget.ToStream(output))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(error))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(context.RequestAborted);

        var bytes = output.ToArray();
        var end = HeaderEnd(bytes, out var separator);
        foreach (var line in Encoding.ASCII.GetString(bytes, 0, end).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var (name, value) = (line[..colon], line[(colon + 1)..].Trim());
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
                context.Response.StatusCode = int.Parse(value[..3], CultureInfo.InvariantCulture);
            else
                context.Response.Headers[name] = value;
        }

        await context.Response.Body.WriteAsync(bytes.AsMemory(end + separator));
    }

    /// <summary>Where the CGI headers end (a blank line, CRLF or LF).</summary>
    static int HeaderEnd(byte[] bytes, out int separator)
    {
        for (var i = 0; i + 1 < bytes.Length; i++)
        {
            if (bytes[i] == '\n' && bytes[i + 1] == '\n')
            {
                separator = 2;
                return i;
            }

            if (i + 3 < bytes.Length && bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                separator = 4;
                return i;
            }
        }

        separator = 0;
        return bytes.Length;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _daemon;
        }
        catch (OperationCanceledException)
        {
            // stopped, as asked
        }

        await _http.DisposeAsync();
        _stop.Dispose();
    }
}

/// <summary>A pull request the stand-in API was asked to open.</summary>
sealed record OpenedPullRequest(string Repository, string Title, string Head, string Base, string Body);
