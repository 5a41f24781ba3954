using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Supervisor.Contracts;
using Supervisor.Rules.Repositories;
using Supervisor.Worker.Settings;
using Supervisor.Worker.Workspaces;

namespace Supervisor.Tests.Workspaces;

/// <summary>
/// <see cref="PullRequests"/> against a real HTTP server on loopback that answers as a forge would: what the request
/// carries, and the class of each refusal.
/// </summary>
public sealed class PullRequestSpecs : IAsyncLifetime
{
    const string Token = "gt_pull_request_spec_token";
    readonly List<(string Path, string Authorization, string Body)> _received = [];
    WebApplication _forge = null!;
    int _port;

    public async Task InitializeAsync()
    {
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            _port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{_port}");
        _forge = builder.Build();
        // The repository's name says how the forge answers.
        _forge.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            lock (_received)
                _received.Add((context.Request.Path.Value!, context.Request.Headers.Authorization.ToString(), body));
            context.Response.StatusCode = context.Request.Path.Value!.Split('/')[^2] switch
            {
                "ok" => 201,
                "denied" => 403,
                "exists" => 422,
                _ => 502,
            };
            if (context.Response.StatusCode == 201)
                await context.Response.WriteAsJsonAsync(new { number = 7, html_url = $"http://127.0.0.1:{_port}/acme/ok/pull/7" });
            else
                await context.Response.WriteAsync("""{"message": "no"}""");
        });
        await _forge.StartAsync();
    }

    public async Task DisposeAsync() => await _forge.DisposeAsync();

    static PullRequests Client()
    {
        var services = new ServiceCollection();
        services.AddHttpClient(PullRequests.ClientName);
        return new PullRequests(services.BuildServiceProvider().GetRequiredService<IHttpClientFactory>(), NullLogger<PullRequests>.Instance);
    }

    GitHostOptions Host(string? forge = null) => new() { Token = Token, ApiUrl = $"http://127.0.0.1:{_port}/api/v3", Forge = forge };

    static RemoteUrl Url(string repository) => RemoteUrl.TryParse($"https://git.example.org/acme/{repository}.git", out var url, out _) ? url : throw new InvalidOperationException();

    [Fact]
    public async Task A_pull_request_is_posted_to_the_repositorys_pulls_with_the_token_and_its_page_returned()
    {
        var page = await Client().OpenAsync(Url("ok"), Host(), "fix-login", "main", "Fix the login", "It failed.", CancellationToken.None);

        Assert.Equal($"http://127.0.0.1:{_port}/acme/ok/pull/7", page);
        var (path, authorization, body) = Assert.Single(_received);
        Assert.Equal("/api/v3/repos/acme/ok/pulls", path);
        Assert.Equal("Bearer " + Token, authorization);
        Assert.Equal("""{"title":"Fix the login","head":"fix-login","base":"main","body":"It failed."}""", body);
    }

    [Fact]
    public async Task Gitea_gets_its_token_scheme()
    {
        await Client().OpenAsync(Url("ok"), Host(ForgeLinks.Gitea), "fix", "main", "t", "b", CancellationToken.None);

        Assert.Equal("token " + Token, Assert.Single(_received).Authorization);
    }

    [Theory]
    [InlineData("denied", ErrorClasses.Fatal)]
    [InlineData("exists", ErrorClasses.AgentFailure)]
    [InlineData("broken", ErrorClasses.Retryable)]
    public async Task A_refusal_is_classified_by_its_status_and_says_what_the_forge_said(string repository, string errorClass)
    {
        var failed = await Assert.ThrowsAsync<RemoteGitException>(() =>
            Client().OpenAsync(Url(repository), Host(), "fix", "main", "t", "b", CancellationToken.None));

        Assert.Equal(errorClass, failed.ErrorClass);
        Assert.Contains("\"message\": \"no\"", failed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_api_or_a_token_for_the_host_it_is_fatal_naming_the_setting()
    {
        var noApi = await Assert.ThrowsAsync<RemoteGitException>(() =>
            Client().OpenAsync(Url("ok"), new GitHostOptions { Token = Token }, "fix", "main", "t", "b", CancellationToken.None));
        var noToken = await Assert.ThrowsAsync<RemoteGitException>(() =>
            Client().OpenAsync(Url("ok"), new GitHostOptions { ApiUrl = "https://api.github.com" }, "fix", "main", "t", "b", CancellationToken.None));

        Assert.Equal((ErrorClasses.Fatal, ErrorClasses.Fatal), (noApi.ErrorClass, noToken.ErrorClass));
        Assert.Contains("Supervisor:Worker:Git:Hosts:git.example.org:ApiUrl", noApi.Message, StringComparison.Ordinal);
        Assert.Contains("Supervisor:Worker:Git:Hosts:git.example.org:Token", noToken.Message, StringComparison.Ordinal);
        Assert.Empty(_received);
    }
}
