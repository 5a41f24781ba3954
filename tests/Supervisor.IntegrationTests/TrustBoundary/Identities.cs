using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Supervisor.IntegrationTests.TrustBoundary;

/// <summary>
/// People have identities and roles: every request needs a named token (loopback included), each endpoint needs a role,
/// the audit trail names the token, tokens can be added without a restart, TLS is a setting away, and each token has a
/// rate limit of its own.
/// </summary>
[Collection(IdentitiesCollection.Name)]
public sealed class Identities(IdentitiesFixture fixture, ITestOutputHelper output)
{
    readonly ApiClient _api = fixture.Stack.Api;
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Every endpoint and the least role that may call it: the contract docs/security.md states.</summary>
    static readonly (string Method, string Path, string Role, string? Body)[] Endpoints =
    [
        ("GET", "/api/tasks", "viewer", null),
        ("GET", "/api/tasks/{task}", "viewer", null),
        ("GET", "/api/tasks/{task}/logs", "viewer", null),
        ("GET", "/api/agents", "viewer", null),
        ("GET", "/api/accounts/{account}", "viewer", null),
        ("GET", "/api/schedules", "viewer", null),
        ("GET", "/api/schedules/{task}", "viewer", null),
        ("GET", "/api/schedules/{task}/tasks", "viewer", null),
        ("GET", "/api/dead-letters", "viewer", null),
        ("GET", "/metrics", "viewer", null),
        ("GET", "/api/tasks/counts", "viewer", null),
        ("GET", "/api/me", "viewer", null),
        // A stream: its answer's headers are the status.
        ("GET", "/api/events", "viewer", null),
        ("POST", "/api/tasks", "submitter", "{}"),
        ("POST", "/api/tasks/{task}/cancel", "submitter", "{}"),
        ("POST", "/api/tasks/{task}/pause", "submitter", "{}"),
        ("POST", "/api/tasks/{task}/resume", "submitter", "{}"),
        ("POST", "/api/tasks/{task}/retry", "submitter", "{}"),
        ("POST", "/api/tasks/{task}/approve", "approver", "{}"),
        ("POST", "/api/tasks/{task}/reject", "approver", "{}"),
        ("POST", "/api/tasks/{task}/budget", "approver", """{"maxTokens": 1000}"""),
        ("POST", "/api/schedules", "submitter", "{}"),
        ("DELETE", "/api/schedules/{task}", "submitter", null),
        ("POST", "/api/schedules/{task}/pause", "submitter", "{}"),
        ("POST", "/api/schedules/{task}/resume", "submitter", "{}"),
        ("POST", "/api/schedules/{task}/trigger", "submitter", "{}"),
        ("POST", "/api/accounts/{account}/budget", "admin", """{"dailyUsd": 1}"""),
        ("POST", "/api/dead-letters/redrive", "admin", """{"queue": "nothing_error"}"""),
        ("POST", "/api/dead-letters/purge", "admin", """{"queue": "nothing_error"}"""),
    ];

    static readonly string[] Ladder = ["viewer", "submitter", "approver", "admin"];

    [Fact]
    public async Task Each_role_may_call_exactly_the_endpoints_of_its_rank_and_a_caller_without_a_token_none_even_on_loopback()
    {
        var failures = new List<string>();
        foreach (var (method, path, least, body) in Endpoints)
        {
            foreach (var caller in new[] { null, "viewer", "submitter", "approver", TestTokens.Admin })
            {
                var status = await SendAsync(caller, method, path, body);
                var allowed = caller is not null && Array.IndexOf(Ladder, TestTokens.Roles[caller]) >= Array.IndexOf(Ladder, least);
                var expected = caller is null ? "401" : allowed ? "allowed" : "403";
                var got = status is HttpStatusCode.Unauthorized ? "401" : status is HttpStatusCode.Forbidden ? "403" : "allowed";
                output.WriteLine($"{method} {path} as {caller ?? "nobody"}: {(int)status} ({got}, expected {expected})");
                if (got != expected)
                    failures.Add($"{method} {path} as {caller ?? "nobody"}: {(int)status}, expected {expected}");
            }
        }

        Assert.Empty(failures);
    }

    [Fact]
    public async Task The_role_table_covers_every_operation_the_api_describes()
    {
        var document = JsonNode.Parse(await _api.Http.GetStringAsync("/openapi/v1.json"))!;
        var described = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(o => $"{o.Key.ToUpperInvariant()} {Normalize(p.Key)}"))
            .ToHashSet(StringComparer.Ordinal);
        var tabled = Endpoints.Select(e => $"{e.Method} {Normalize(e.Path)}").ToHashSet(StringComparer.Ordinal);

        Assert.Empty(described.Except(tabled));
    }

    [Fact]
    public async Task The_audit_trail_names_the_token_not_what_the_client_says()
    {
        using var alice = _api.As("alice");
        using var bob = _api.As("bob");
        var id = await alice.SubmitAsync(new { prompt = "echo approved", risk = "high" });
        await _api.WaitForAsync(id, Timeout, "AwaitingApproval");

        // bob claims to be mallory: the service records bob, whose token it was.
        using var approve = await bob.Http.PostAsJsonAsync($"/api/tasks/{id}/approve", new { by = "mallory", reason = "looks fine" });
        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal(HttpStatusCode.Accepted, approve.StatusCode);
        Assert.Equal(("Succeeded", "alice"), (task["state"]!.GetValue<string>(), task["submittedBy"]!.GetValue<string>()));
        var approval = task["transitions"]!.AsArray().Single(t => t!["from"]!.GetValue<string>() == "AwaitingApproval")!;
        Assert.Equal(("bob", "looks fine"), (approval["by"]!.GetValue<string>(), approval["reason"]!.GetValue<string>()));
        Assert.DoesNotContain("mallory", task.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_submitter_cannot_approve_its_own_high_risk_task()
    {
        using var submitter = _api.As("submitter");
        var id = await submitter.SubmitAsync(new { prompt = "echo self-approved", risk = "high" });
        await _api.WaitForAsync(id, Timeout, "AwaitingApproval");

        var (status, body) = await submitter.CommandAsync(id, "approve");
        await Task.Delay(500);
        var task = await _api.GetAsync(id);
        await _api.CommandAsync(id, "reject");

        Assert.Equal(403, status);
        Assert.Contains("approver", body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("AwaitingApproval", task["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Without_any_token_the_service_refuses_to_start_and_with_the_development_flag_callers_act_as_anonymous()
    {
        var refused = fixture.Stack.LaunchService($"http://127.0.0.1:{SupervisorStack.FreePort()}", TestTokens.None());
        var everywhere = fixture.Stack.LaunchService($"http://0.0.0.0:{SupervisorStack.FreePort()}",
            new Dictionary<string, string>(TestTokens.None()) { ["Supervisor__Api__AllowAnonymous"] = "true" });
        var url = $"http://127.0.0.1:{SupervisorStack.FreePort()}";
        var anonymous = fixture.Stack.LaunchService(url, new Dictionary<string, string>(TestTokens.None()) { ["Supervisor__Api__AllowAnonymous"] = "true" });
        using var api = new ApiClient(new Uri(url), caller: null);
        await WaitReadyAsync(anonymous, api.Http);

        var id = await api.SubmitAsync(new { prompt = "echo anonymous" });
        var task = await api.WaitForAsync(id, Timeout);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/tasks");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token");
        using var wrongAnswer = await api.Http.SendAsync(wrong);
        await anonymous.StopAsync(TimeSpan.FromSeconds(15));
        await WaitExitedAsync(refused);
        await WaitExitedAsync(everywhere);

        Assert.True(refused.HasExited, "a service without tokens started");
        Assert.Contains("Supervisor:Api:Tokens: no API token is configured", refused.RecentOutput, StringComparison.Ordinal);
        Assert.True(everywhere.HasExited, "a service with anonymous callers started beyond loopback");
        Assert.Contains("Supervisor:Api:AllowAnonymous: must not be true when the API listens beyond loopback", everywhere.RecentOutput, StringComparison.Ordinal);
        Assert.Equal("anonymous", task["submittedBy"]!.GetValue<string>());
        // A token that is wrong is refused even so: the flag admits callers without one, not guesses.
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAnswer.StatusCode);
        Assert.Contains("AllowAnonymous is true", anonymous.RecentOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_added_to_the_tokens_file_works_without_a_restart()
    {
        var directory = Directory.CreateTempSubdirectory("supervisor-tokens-");
        var file = Path.Combine(directory.FullName, "tokens.json");
        await WriteTokensAsync(file, "alice");
        var url = $"http://127.0.0.1:{SupervisorStack.FreePort()}";
        var service = fixture.Stack.LaunchService(url, new Dictionary<string, string>(TestTokens.None()) { ["Supervisor__Api__TokensFile"] = file });
        using var alice = new ApiClient(new Uri(url), "alice");
        using var bob = new ApiClient(new Uri(url), "bob");
        await WaitReadyAsync(service, alice.Http);

        var before = (await alice.Http.GetAsync("/api/tasks")).StatusCode;
        var bobBefore = (await bob.Http.GetAsync("/api/tasks")).StatusCode;
        await WriteTokensAsync(file, "alice", "bob");
        var bobAfter = HttpStatusCode.Unauthorized;
        for (var i = 0; i < 150 && bobAfter != HttpStatusCode.OK; i++)
        {
            await Task.Delay(200);
            bobAfter = (await bob.Http.GetAsync("/api/tasks")).StatusCode;
        }

        // A file the service refuses (a role that does not exist): the tokens before it stay, and it is said once, not per request.
        await WriteTokensAsync(file, ("carol", "boss"));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var afterRefused = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
            afterRefused.Add((await bob.Http.GetAsync("/api/tasks")).StatusCode);
        var refusals = service.RecentOutput.Split("The reloaded API configuration is refused").Length - 1;

        await service.StopAsync(TimeSpan.FromSeconds(15));
        directory.Delete(recursive: true);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.OK), (before, bobBefore, bobAfter));
        Assert.All(afterRefused, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(1, refusals);
    }

    [Fact]
    public async Task Https_works_with_a_configured_certificate_and_the_cli_trusts_it_through_its_ca_option()
    {
        var directory = Directory.CreateTempSubdirectory("supervisor-tls-");
        using var certificate = SelfSigned();
        var pfx = Path.Combine(directory.FullName, "api.pfx");
        var pem = Path.Combine(directory.FullName, "api.pem");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pkcs12, "pfx-password"));
        await File.WriteAllTextAsync(pem, certificate.ExportCertificatePem());
        var port = SupervisorStack.FreePort();
        var url = $"https://127.0.0.1:{port}";
        var service = fixture.Stack.LaunchService(url, new Dictionary<string, string>
        {
            ["Supervisor__Api__Certificate__Path"] = pfx,
            ["Supervisor__Api__Certificate__Password"] = "pfx-password",
        });
        var noCertificate = fixture.Stack.LaunchService($"https://127.0.0.1:{SupervisorStack.FreePort()}", new Dictionary<string, string>());

        // Trusting only this certificate, as a client given a private authority does.
        using var handler = new SocketsHttpHandler
        {
            SslOptions = { CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, CustomTrustStore = { certificate } } },
        };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Of(TestTokens.Admin));
        await WaitReadyAsync(service, http);
        var listed = await http.GetAsync("/api/tasks");

        var trusted = await CliAsync(["list", "--json", "--api", url, "--ca-cert", pem]);
        var untrusted = await CliAsync(["list", "--json", "--api", url]);
        await service.StopAsync(TimeSpan.FromSeconds(15));
        await WaitExitedAsync(noCertificate);
        directory.Delete(recursive: true);

        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.True(trusted.ExitCode == 0, trusted.Error);
        Assert.StartsWith("[", trusted.Output.TrimStart(), StringComparison.Ordinal);
        // The system does not trust a self-signed certificate: without --ca-cert the CLI refuses to talk.
        Assert.NotEqual(0, untrusted.ExitCode);
        Assert.True(noCertificate.HasExited, "an https:// URL without a certificate started");
        Assert.Contains("Supervisor:Api:Certificate:Path: required", noCertificate.RecentOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_over_its_rate_limit_gets_429_with_retry_after_while_another_token_is_unaffected()
    {
        var url = $"http://127.0.0.1:{SupervisorStack.FreePort()}";
        var service = fixture.Stack.LaunchService(url, new Dictionary<string, string>
        {
            ["Supervisor__Api__RateLimit__PermitsPerSecond"] = "1",
            ["Supervisor__Api__RateLimit__Burst"] = "5",
        });
        using var alice = new ApiClient(new Uri(url), "alice");
        using var bob = new ApiClient(new Uri(url), "bob");
        await WaitReadyAsync(service, alice.Http);

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 12; i++)
            answers.Add(await alice.Http.GetAsync("/api/agents"));
        var bobs = await bob.Http.GetAsync("/api/agents");
        var limited = answers.First(a => a.StatusCode == HttpStatusCode.TooManyRequests);
        var problem = JsonNode.Parse(await limited.Content.ReadAsStringAsync())!;
        await service.StopAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(HttpStatusCode.OK, answers[0].StatusCode);
        Assert.True(answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests) >= 5, string.Join(",", answers.Select(a => (int)a.StatusCode)));
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {limited.Headers.RetryAfter}");
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.Contains("alice", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, bobs.StatusCode);
    }

    async Task<HttpStatusCode> SendAsync(string? caller, string method, string path, string? body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path
            .Replace("{task}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
            .Replace("{account}", "shell%2Fnone", StringComparison.Ordinal));
        if (body is not null)
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        if (caller is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Of(caller));
        using var http = new HttpClient { BaseAddress = _api.Http.BaseAddress };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return response.StatusCode;
    }

    /// <summary>A path as the test table and the OpenAPI document both can write it: parameters as <c>{}</c>, no trailing slash.</summary>
    static string Normalize(string path) =>
        System.Text.RegularExpressions.Regex.Replace(path, "\\{[^}]*\\}", "{}", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1)).TrimEnd('/');

    static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=supervisor-test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    static Task WriteTokensAsync(string file, params string[] names) =>
        WriteTokensAsync(file, [.. names.Select(name => (name, TestTokens.Roles[name]))]);

    static async Task WriteTokensAsync(string file, params (string Name, string Role)[] entries)
    {
        var tokens = new JsonObject();
        foreach (var (name, role) in entries)
            tokens[name] = new JsonObject { ["Hash"] = TestTokens.Hash(TestTokens.Of(name)), ["Role"] = role };
        var json = new JsonObject { ["Supervisor"] = new JsonObject { ["Api"] = new JsonObject { ["Tokens"] = tokens } } }.ToJsonString();
        // Written whole and moved into place: the watcher never reads half a file.
        await File.WriteAllTextAsync(file + ".new", json);
        File.Move(file + ".new", file, overwrite: true);
    }

    async Task<(int ExitCode, string Output, string Error)> CliAsync(string[] arguments)
    {
        var cli = TestEnvironment.ProjectOutput("Supervisor.Cli", "supervisor.dll");
        var result = await Containers.Commands.TryRunAsync("dotnet", [cli, .. arguments],
            new Dictionary<string, string> { ["SUPERVISOR_TOKEN"] = TestTokens.Of(TestTokens.Admin) }, TimeSpan.FromSeconds(60));
        output.WriteLine($"supervisor {string.Join(' ', arguments)} → {result.ExitCode}\n{result.Output}{result.Error}");
        return result;
    }

    static Task WaitReadyAsync(HostProcess service, HttpClient http) =>
        SupervisorStack.WaitUntilAsync(service, async () =>
        {
            try
            {
                return (await http.GetAsync("/health/ready")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        });

    static async Task WaitExitedAsync(HostProcess process)
    {
        for (var waited = 0; !process.HasExited && waited < 300; waited++)
            await Task.Delay(100);
    }
}
