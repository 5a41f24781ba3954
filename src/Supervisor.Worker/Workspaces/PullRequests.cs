using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Serialization;
using Supervisor.Contracts;
using Supervisor.Rules.Repositories;
using Supervisor.Worker.Settings;

namespace Supervisor.Worker.Workspaces;

/// <summary>
/// Opens a pull request for a pushed branch through the forge's REST API: GitHub's
/// <c>POST {ApiUrl}/repos/{owner}/{repo}/pulls</c> with <c>{title, head, base, body}</c>, which Gitea and Forgejo
/// (<c>…/api/v1</c>) speak too. The API and the token are the host's (<c>Supervisor:Worker:Git:Hosts:&lt;host&gt;</c>:
/// <c>ApiUrl</c>, <c>Token</c>); the token goes in the Authorization header of that one request, never anywhere else.
/// A refusal is classified as a push's would be: credentials → <c>Fatal</c>, the request itself (no such repository,
/// no commits between the branches, one already open) → <c>AgentFailure</c>, the network or the server → <c>Retryable</c>.
/// </summary>
public sealed partial class PullRequests(IHttpClientFactory clients, ILogger<PullRequests> logger)
{
    /// <summary>The name of the HTTP client the worker registers for forge APIs.</summary>
    public const string ClientName = "forge";

    /// <summary>Opens the pull request of <paramref name="head"/> into <paramref name="baseBranch"/> on <paramref name="url"/>'s repository; returns its page.</summary>
    public async Task<string> OpenAsync(RemoteUrl url, GitHostOptions host, string head, string baseBranch, string title, string body, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(host);
        if (host.ApiUrl is not { Length: > 0 } api)
            throw new RemoteGitException(ErrorClasses.Fatal, $"no forge API is configured for {url.Host} (Supervisor:Worker:Git:Hosts:{url.Host}:ApiUrl): cannot open a pull request");
        if (host.ReadToken() is not { } token)
            throw new RemoteGitException(ErrorClasses.Fatal, $"no token is configured for {url.Host} (Supervisor:Worker:Git:Hosts:{url.Host}:Token): cannot open a pull request");
        var path = url.Path.TrimEnd('/');
        if (path.EndsWith(".git", StringComparison.Ordinal))
            path = path[..^4];

        using var request = new HttpRequestMessage(HttpMethod.Post, $"{api.TrimEnd('/')}/repos/{path}/pulls")
        {
            Content = JsonContent.Create(new PullRequestBody(title, head, baseBranch, body)),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue(ForgeLinks.KindOf(url, host.Forge) == ForgeLinks.Gitea ? "token" : "Bearer", token);
        request.Headers.Accept.ParseAdd("application/vnd.github+json");
        request.Headers.UserAgent.ParseAdd("supervisor");
        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient(ClientName).SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new RemoteGitException(ErrorClasses.Retryable, $"opening a pull request on {url.Host} failed: {e.Message}");
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var said = (await response.Content.ReadAsStringAsync(ct)).ReplaceLineEndings(" ");
                var errorClass = response.StatusCode switch
                {
                    HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ErrorClasses.Fatal,
                    >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout => ErrorClasses.Retryable,
                    _ => ErrorClasses.AgentFailure,
                };
                throw new RemoteGitException(errorClass,
                    $"opening a pull request of {head} into {baseBranch} on {url} failed: HTTP {(int)response.StatusCode}: {(said.Length > 300 ? said[..300] + "…" : said)}");
            }

            var created = await response.Content.ReadFromJsonAsync<PullRequestCreated>(ct);
            var page = created?.HtmlUrl ?? throw new RemoteGitException(ErrorClasses.Retryable, $"the forge on {url.Host} answered without the pull request's html_url");
            LogOpened(page, head, baseBranch);
            return page;
        }
    }

    sealed record PullRequestBody(
        [property: JsonPropertyName("title")] string Title,
        [property: JsonPropertyName("head")] string Head,
        [property: JsonPropertyName("base")] string Base,
        [property: JsonPropertyName("body")] string Body);

    sealed record PullRequestCreated([property: JsonPropertyName("html_url")] string? HtmlUrl);

    [LoggerMessage(LogLevel.Information, "Pull request {Page} opened: {Head} into {Base}")]
    partial void LogOpened(string page, string head, string @base);
}
