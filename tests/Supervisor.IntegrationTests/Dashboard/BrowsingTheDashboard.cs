using System.Net.Http.Json;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Supervisor.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Supervisor.IntegrationTests.Dashboard;

/// <summary>
/// The dashboard as people use it: a real Chromium on the service's own address, signed in with the tokens the API
/// takes, the tasks run by real workers. Nothing is reloaded by a test unless it says so: what the page shows of a
/// change comes through its own server-sent events.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class BrowsingTheDashboard(DashboardFixture fixture, ITestOutputHelper output)
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    readonly SupervisorStack _stack = fixture.Stack;
    readonly Browser _browser = fixture.Browser;

    [Fact]
    public async Task Signing_in_refuses_a_wrong_token_and_keeps_a_right_one_in_an_http_only_strict_cookie()
    {
        var page = await _browser.NewPageAsync(fixture.Url);

        await page.GotoAsync("/");
        Assert.EndsWith("/sign-in", page.Url, StringComparison.Ordinal);
        await page.GetByLabel("API token").FillAsync("sup_not_a_token");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not one of the configured tokens");
        Assert.Empty(await page.Context.CookiesAsync());

        await page.GetByLabel("API token").FillAsync(TestTokens.Of("submitter"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.Locator("#me")).ToHaveTextAsync("submitter · submitter");
        await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("live");

        var cookie = Assert.Single(await page.Context.CookiesAsync());
        Assert.Equal("supervisor_token", cookie.Name);
        Assert.True(cookie.HttpOnly, "the token's cookie is http-only");
        Assert.True(cookie.Secure, "the token's cookie is Secure (loopback counts as a secure origin)");
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        // No script of the page can read the token.
        Assert.DoesNotContain("sup_", await page.EvaluateAsync<string>("() => document.cookie"), StringComparison.Ordinal);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync("**/sign-in");
        Assert.Empty(await page.Context.CookiesAsync());
        Assert.Equal(401, (await page.APIRequest.GetAsync("/api/tasks")).Status);
    }

    [Fact]
    public async Task Sign_in_over_plain_http_at_a_network_address_is_refused_and_the_pages_allow_only_their_own_scripts()
    {
        using var http = new HttpClient { BaseAddress = fixture.Url };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sign-in")
        {
            Content = new FormUrlEncodedContent([new KeyValuePair<string, string>("token", TestTokens.Of("viewer"))]),
        };
        // As a browser on another machine would ask for it: by the service's network name, not loopback.
        request.Headers.Host = "supervisor.example.org";
        using var refused = await http.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.False(refused.Headers.Contains("Set-Cookie"), "no cookie is set over plain http at a network address");
        Assert.Contains("cross the network in clear", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var page = await http.GetAsync("/sign-in");
        var policy = string.Join(" ", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task A_task_submitted_from_the_CLI_appears_and_succeeds_on_the_open_list_without_a_reload()
    {
        var page = await _browser.SignedInAsync(fixture.Url, "viewer");
        await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("live");
        await page.EvaluateAsync("() => { window.stayed = true; }");

        var id = await SubmitFromCliAsync("sleep 1; echo from the cli", "--label", "source=cli");

        var row = page.Locator($"#tasks tr[data-task='{id}']");
        await Assertions.Expect(row).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("Succeeded", new() { Timeout = 60_000 });
        await Assertions.Expect(row).ToContainTextAsync("source=cli");
        Assert.True(await page.EvaluateAsync<bool>("() => window.stayed === true"), "the page was reloaded");

        // The counts and the filters are the server's: this label alone shows this task.
        await page.GetByLabel("Label (key or key=value)").FillAsync("source=cli");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(page.Locator("#tasks tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator(".counts")).ToContainTextAsync("Succeeded 1");
    }

    [Fact]
    public async Task A_running_tasks_output_arrives_line_by_line_in_order_with_its_colours_and_without_its_secrets()
    {
        // The task waits for approval until the page is open, so that the page sees its output from the first line
        // however long signing in takes on a loaded machine.
        var id = await _stack.Api.As("submitter").SubmitAsync(new
        {
            prompt = "for i in $(seq 1 20); do printf '\\033[32mline %s\\033[0m\\n' $i; sleep 0.4; done; echo \"key=$DEMO_API_KEY\"",
            risk = "high",
        });
        await _stack.Api.WaitForAsync(id, Timeout, "AwaitingApproval");
        var page = await _browser.SignedInAsync(fixture.Url, "viewer");
        await page.GotoAsync($"/#/tasks/{id}");
        await Assertions.Expect(page.Locator("h1 .state")).ToHaveTextAsync("AwaitingApproval");
        Assert.Equal(202, (await _stack.Api.As("approver").CommandAsync(id, "approve", reason: "watching its output")).Status);

        var lines = page.Locator("#output");
        await Assertions.Expect(lines).ToContainTextAsync("line 3");
        var early = await lines.InnerTextAsync();
        Assert.DoesNotContain("line 20", early, StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("#output-state")).ToContainTextAsync("this is all of its output", new() { Timeout = 60_000 });

        var text = await lines.InnerTextAsync();
        var expected = string.Join("\n", Enumerable.Range(1, 20).Select(i => $"line {i}"));
        Assert.Contains(expected, text, StringComparison.Ordinal);
        Assert.Equal(20, await page.Locator("#output .fg-32").CountAsync());
        Assert.DoesNotContain(DashboardFixture.Secret, text, StringComparison.Ordinal);
        Assert.Contains("key=", text, StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("h1 .state")).ToHaveTextAsync("Succeeded");
    }

    [Fact]
    public async Task An_approver_approves_a_waiting_high_risk_task_from_the_list_and_it_runs()
    {
        var id = await _stack.Api.As("submitter").SubmitAsync(new { prompt = "echo approved work", risk = "high" });
        await _stack.Api.WaitForAsync(id, Timeout, "AwaitingApproval");
        var page = await _browser.SignedInAsync(fixture.Url, "approver");
        await page.GotoAsync("/#/approvals");

        var row = page.Locator($"#approvals tr[data-task='{id}']");
        await Assertions.Expect(row).ToContainTextAsync("high");
        await page.GetByLabel("Reason").FillAsync("looked at the prompt");
        await row.Locator("[data-verb='approve']").ClickAsync();

        await Assertions.Expect(page.Locator(".answer")).ToContainTextAsync("approved");
        await Assertions.Expect(row).ToHaveCountAsync(0);
        var task = await _stack.Api.WaitForAsync(id, Timeout);
        Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
        var approval = task["transitions"]!.AsArray().Single(t => t!["event"]!.GetValue<string>() == "ApproveTask")!;
        Assert.Equal("approver", approval["by"]!.GetValue<string>());
        Assert.Equal("looked at the prompt", approval["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_submitter_cancels_a_running_task_from_its_page_and_sees_it_cancelled()
    {
        var id = await _stack.Api.As("submitter").SubmitAsync(new { prompt = "echo started; sleep 60" });
        await _stack.Api.WaitForAsync(id, Timeout, "Running");
        var page = await _browser.SignedInAsync(fixture.Url, "submitter");
        await page.GotoAsync($"/#/tasks/{id}");
        await Assertions.Expect(page.Locator("#output")).ToContainTextAsync("started");
        await Assertions.Expect(page.Locator("[data-verb='approve']")).ToHaveCountAsync(0);

        await page.GetByLabel("Reason").FillAsync("not needed any more");
        await page.Locator("[data-verb='cancel']").ClickAsync();

        await Assertions.Expect(page.Locator(".answer")).ToContainTextAsync("cancel: accepted");
        await Assertions.Expect(page.Locator("h1 .state")).ToHaveTextAsync("Cancelled");
        await Assertions.Expect(page.Locator("[data-verb='retry']")).ToBeVisibleAsync();
        var task = await _stack.Api.WaitForAsync(id, Timeout);
        Assert.Equal("Cancelled", task["state"]!.GetValue<string>());
        Assert.Contains(task["transitions"]!.AsArray(), t => t!["by"]?.GetValue<string>() == "submitter" && t["reason"]?.GetValue<string>() == "not needed any more");
    }

    [Fact]
    public async Task A_viewer_sees_no_buttons_and_the_api_refuses_its_commands_as_it_refuses_a_cookie_without_the_dashboards_header()
    {
        var id = await _stack.Api.As("submitter").SubmitAsync(new { prompt = "echo waits", risk = "high" });
        await _stack.Api.WaitForAsync(id, Timeout, "AwaitingApproval");
        var page = await _browser.SignedInAsync(fixture.Url, "viewer");

        await page.GotoAsync($"/#/tasks/{id}");
        await Assertions.Expect(page.Locator("h1 .state")).ToHaveTextAsync("AwaitingApproval");
        await Assertions.Expect(page.Locator("[data-verb]")).ToHaveCountAsync(0);
        await page.GotoAsync("/#/approvals");
        await Assertions.Expect(page.Locator($"#approvals tr[data-task='{id}']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-verb]")).ToHaveCountAsync(0);

        // What the page would send, sent anyway: the API decides, not the page.
        var withHeader = await page.EvaluateAsync<int>(
            "async id => (await fetch(`/api/tasks/${id}/approve`, { method: 'POST', headers: { 'X-Supervisor-Dashboard': '1', 'Content-Type': 'application/json' }, body: '{}' })).status",
            id.ToString());
        Assert.Equal(403, withHeader);

        var approver = await _browser.SignedInAsync(fixture.Url, "approver");
        var withoutHeader = await approver.EvaluateAsync<int>(
            "async id => (await fetch(`/api/tasks/${id}/approve`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status",
            id.ToString());
        Assert.Equal(401, withoutHeader);
        Assert.Equal("AwaitingApproval", (await _stack.Api.GetAsync(id))["state"]!.GetValue<string>());
        await _stack.Api.CommandAsync(id, "reject", reason: "test over");
    }

    [Fact]
    public async Task Every_page_has_no_serious_accessibility_violation()
    {
        var done = await _stack.Api.As("submitter").SubmitAsync(new { prompt = "printf '\\033[1;34mbuilding\\033[0m\\n'; echo done", labels = new Dictionary<string, string> { ["team"] = "web" } });
        await _stack.Api.WaitForAsync(done, Timeout);
        var waiting = await _stack.Api.As("submitter").SubmitAsync(new { prompt = "echo risky change", risk = "high" });
        await _stack.Api.WaitForAsync(waiting, Timeout, "AwaitingApproval");
        using (var created = await _stack.Api.Http.PostAsJsonAsync("/api/schedules", new { name = "nightly-report", cron = "0 2 * * *", template = new { prompt = "echo report" } }))
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());

        var signIn = await _browser.NewPageAsync(fixture.Url);
        await signIn.GotoAsync("/sign-in");
        await CheckAsync(signIn, "sign-in");

        var page = await _browser.SignedInAsync(fixture.Url, TestTokens.Admin);
        await Assertions.Expect(page.Locator($"#tasks tr[data-task='{done}']")).ToBeVisibleAsync();
        await CheckAsync(page, "tasks");
        await page.GotoAsync($"/#/tasks/{done}");
        await Assertions.Expect(page.Locator("#output-state")).ToContainTextAsync("this is all of its output");
        await CheckAsync(page, "task");
        await page.GotoAsync("/#/approvals");
        await Assertions.Expect(page.Locator($"#approvals tr[data-task='{waiting}']")).ToBeVisibleAsync();
        await CheckAsync(page, "approvals");
        await page.GotoAsync("/#/fleet");
        await Assertions.Expect(page.Locator("#workers")).ToBeVisibleAsync();
        await CheckAsync(page, "fleet");
        await page.GotoAsync("/#/schedules");
        await Assertions.Expect(page.Locator("#schedules")).ToContainTextAsync("nightly-report");
        await CheckAsync(page, "schedules");
        await _stack.Api.CommandAsync(waiting, "reject", reason: "test over");
    }

    /// <summary>
    /// axe-core on the page as it is now: no serious or critical violation. With <c>SUPERVISOR_SCREENSHOTS</c> set, the page is
    /// also saved there as <c>&lt;name&gt;.png</c> (docs/dashboard/ holds those of a run).
    /// </summary>
    async Task CheckAsync(IPage page, string name)
    {
        var result = await page.RunAxe();
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        foreach (var v in result.Violations)
            output.WriteLine($"{name}: {v.Impact} {v.Id}: {v.Help} ({v.Nodes.Length} nodes: {string.Join("; ", v.Nodes.Take(3).Select(n => n.Html))})");
        Assert.True(serious.Count == 0, $"{name}: " + string.Join("; ", serious.Select(v => $"{v.Id} ({v.Impact}): {v.Help}: {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Html))}")));
        if (Environment.GetEnvironmentVariable("SUPERVISOR_SCREENSHOTS") is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), FullPage = false });
        }
    }

    /// <summary>Submits as people do, with the CLI and a submitter's token; the task's id, as the CLI prints it.</summary>
    async Task<Guid> SubmitFromCliAsync(string prompt, params string[] options)
    {
        var cli = TestEnvironment.ProjectOutput("Supervisor.Cli", "supervisor.dll");
        var (exitCode, stdout, stderr) = await Containers.Commands.TryRunAsync("dotnet", [cli, "submit", prompt, .. options, "--api", fixture.Url.ToString()],
            new Dictionary<string, string> { ["SUPERVISOR_TOKEN"] = TestTokens.Of("submitter") }, Timeout);
        output.WriteLine($"supervisor submit → {exitCode}\n{stdout}{stderr}");
        Assert.True(exitCode == 0, stderr);
        return Guid.Parse(stdout.Trim().Split('\n')[^1].Trim());
    }
}
