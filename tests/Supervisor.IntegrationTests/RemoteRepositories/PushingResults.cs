using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Supervisor.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Supervisor.IntegrationTests.RemoteRepositories;

/// <summary>
/// Tasks on remote repositories, served on loopback by git's own servers (<see cref="GitServers"/>): three workers with
/// workspace roots of their own stand for three machines, each with its own mirror cache. Every attempt works in a worktree
/// of its worker's mirror and its result is pushed to the remote.
/// </summary>
public sealed class PushingResults(RemoteRepositoriesFixture fixture, ITestOutputHelper output) : IClassFixture<RemoteRepositoriesFixture>
{
    const int Tasks = 30;

    readonly GitServers _git = fixture.Git;
    readonly SupervisorStack _stack = fixture.Stack;

    [Fact]
    public async Task Thirty_tasks_on_one_url_push_their_branches_and_each_machine_clones_once_and_fetches_after()
    {
        var url = _git.GitUrl("fleet.git");
        var ids = await Task.WhenAll(Enumerable.Range(0, Tasks).Select(i =>
            _stack.Api.SubmitAsync(new { prompt = $"echo 'task {i}' > result-{i}.txt", agent = "remote", repository = new { url } })));

        var tasks = await Task.WhenAll(ids.Select(id => _stack.Api.WaitForAsync(id, TimeSpan.FromMinutes(3))));

        for (var i = 0; i < Tasks; i++)
        {
            var task = tasks[i];
            Assert.True(task["state"]!.GetValue<string>() == "Succeeded", task.ToJsonString());
            var result = task["result"]!;
            var branch = result["branch"]!.GetValue<string>();
            Assert.Equal($"supervisor/{ids[i]:N}/1", branch);
            Assert.Equal(url, result["remote"]!.GetValue<string>());
            Assert.Equal(result["commit"]!.GetValue<string>(), await _git.GitAsync("fleet.git", "rev-parse", branch));
            Assert.Equal($"task {i}", await _git.GitAsync("fleet.git", "show", $"{branch}:result-{i}.txt"));
            Assert.Equal("version 1", await _git.GitAsync("fleet.git", "show", $"{branch}:app.txt"));
        }

        // Each machine's log: one clone, then a fetch for each of its other attempts.
        var attemptsPerWorker = tasks.GroupBy(t => t["attempts"]![0]!["worker"]!.GetValue<string>()).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine("attempts per worker: " + string.Join(", ", attemptsPerWorker.Select(kv => $"{kv.Key} {kv.Value}")));
        foreach (var worker in _stack.Workers)
        {
            var log = await File.ReadAllTextAsync(worker.LogFile);
            var id = worker.Name[(worker.Name.IndexOf('-', StringComparison.Ordinal) + 1)..];
            var attempts = attemptsPerWorker.GetValueOrDefault(id);
            Assert.Equal(attempts > 0 ? 1 : 0, Count(log, $"Mirror of {url} cloned into"));
            Assert.Equal(Math.Max(0, attempts - 1), Count(log, $"Mirror of {url} fetched"));
        }

        Assert.True(attemptsPerWorker.Count >= 2, "the tasks were spread over more than one machine");
    }

    [Fact]
    public async Task Over_authenticated_http_the_result_is_pushed_and_the_token_is_nowhere_but_the_workers_configuration()
    {
        // The agent prints its whole environment and tries the usual places a token would be found.
        const string script = "env; cat ~/.git-credentials ~/.gitconfig 2>&1; git config --list 2>&1; echo pushed > over-http.txt";
        var id = await _stack.Api.SubmitAsync(new { prompt = script, agent = "remote", repository = new { url = _git.HttpUrl("web.git"), pushTo = "from-http" } });

        var task = await _stack.Api.WaitForAsync(id, TimeSpan.FromMinutes(2));

        Assert.True(task["state"]!.GetValue<string>() == "Succeeded", task.ToJsonString());
        Assert.Equal("from-http", task["result"]!["branch"]!.GetValue<string>());
        Assert.Equal("pushed", await _git.GitAsync("web.git", "show", "from-http:over-http.txt"));
        var logs = string.Concat((await _stack.Api.CompleteLogsAsync(id)).Select(c => c!["text"]!.GetValue<string>()));
        Assert.Contains("PATH=", logs, StringComparison.Ordinal);
        Assert.Contains("pushed", logs, StringComparison.Ordinal);
        await AssertTokenNowhereAsync(logs);
    }

    [Fact]
    public async Task A_pull_request_of_the_pushed_branch_is_opened_into_the_base_branch_through_the_forge_api()
    {
        var url = _git.HttpUrl("acme/app.git");
        var id = await _stack.Api.SubmitAsync(new
        {
            prompt = "echo fixed > FIX.md; echo 'Fix the login page'; echo 'It failed on empty passwords.'",
            agent = "remote",
            repository = new { url, baseRef = "main", pushTo = "fix-login", openPullRequest = true },
        });

        var task = await _stack.Api.WaitForAsync(id, TimeSpan.FromMinutes(2));

        Assert.True(task["state"]!.GetValue<string>() == "Succeeded", task.ToJsonString());
        var result = task["result"]!;
        var opened = Assert.Single(_git.PullRequests, p => p.Repository == "acme/app.git");
        Assert.Equal(("fix-login", "main"), (opened.Head, opened.Base));
        Assert.Equal("fixed", await _git.GitAsync("acme/app.git", "show", "fix-login:FIX.md"));
        Assert.Contains("Fix the login page", opened.Title, StringComparison.Ordinal);
        Assert.Contains("It failed on empty passwords.", opened.Body, StringComparison.Ordinal);
        Assert.Equal($"http://127.0.0.1:{_git.HttpPort}/acme/app/pull/{_git.PullRequests.Count}", result["pullRequest"]!.GetValue<string>());
        Assert.StartsWith($"http://127.0.0.1:{_git.HttpPort}/acme/app/compare/", result["link"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.EndsWith("...fix-login", result["link"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_credentials_fail_the_task_as_fatal_with_gits_message_and_a_missing_repository_as_invalid()
    {
        var wrongToken = await _stack.Api.SubmitAsync(new { prompt = "true", agent = "remote", repository = new { url = _git.HttpUrl("web.git", "localhost") } });
        var missing = await _stack.Api.SubmitAsync(new { prompt = "true", agent = "remote", repository = new { url = _git.GitUrl("no-such.git") } });
        var missingRef = await _stack.Api.SubmitAsync(new { prompt = "true", agent = "remote", repository = new { url = _git.GitUrl("web.git"), baseRef = "no-such-branch" } });

        var failed = await Task.WhenAll(new[] { wrongToken, missing, missingRef }.Select(id => _stack.Api.WaitForAsync(id, TimeSpan.FromMinutes(2))));

        output.WriteLine("git daemon: " + _git.DaemonLog);
        Assert.All(failed, t => Assert.Equal("Failed", t["state"]!.GetValue<string>()));
        Assert.All(failed, t => Assert.True(t["attempts"]!.AsArray().Count == 1, "one attempt, no retry: " + t.ToJsonString()));
        var attempts = failed.Select(t => t["attempts"]![0]!).ToList();
        Assert.Equal(("Fatal", true), (attempts[0]["errorClass"]!.GetValue<string>(), attempts[0]["message"]!.GetValue<string>().Contains("Authentication failed", StringComparison.Ordinal)));
        Assert.Equal("Invalid", attempts[1]["errorClass"]!.GetValue<string>());
        Assert.Contains("no-such.git failed: fatal:", attempts[1]["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Invalid", attempts[2]["errorClass"]!.GetValue<string>());
        Assert.Contains("no-such-branch", attempts[2]["message"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertTokenNowhereAsync("");
    }

    [Fact]
    public async Task A_url_with_credentials_or_of_a_host_not_allowed_is_a_400_naming_the_field()
    {
        foreach (var url in new[] { $"http://{_git.User}:{_git.Token}@127.0.0.1:{_git.HttpPort}/web.git", "https://github.com/acme/web.git" })
        {
            using var response = await _stack.Api.Http.PostAsJsonAsync("/api/tasks", new { prompt = "x", agent = "remote", repository = new { url } });

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var errors = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!;
            Assert.False(string.IsNullOrEmpty(errors["repository.url"]![0]!.GetValue<string>()));
        }

        await AssertTokenNowhereAsync("");
    }

    /// <summary>The token is in no table, no process's log and not in <paramref name="output"/>.</summary>
    async Task AssertTokenNowhereAsync(string output)
    {
        Assert.DoesNotContain(_git.Token, output, StringComparison.Ordinal);
        Assert.DoesNotContain("SUPERVISOR_GIT_TOKEN", output, StringComparison.Ordinal);
        foreach (var file in _stack.LogFiles)
            Assert.DoesNotContain(_git.Token, await File.ReadAllTextAsync(file), StringComparison.Ordinal);
        await using var connection = new NpgsqlConnection(_stack.Resources.InspectionPostgres);
        await connection.OpenAsync();
        await using var tables = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'", connection);
        var names = new List<string>();
        await using (var reader = await tables.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                names.Add(reader.GetString(0));
        }

        foreach (var table in names)
        {
            await using var search = new NpgsqlCommand($"SELECT count(*) FROM \"{table}\" t WHERE t::text LIKE '%' || @token || '%'", connection);
            search.Parameters.AddWithValue("token", _git.Token);
            Assert.True((long)(await search.ExecuteScalarAsync())! == 0, $"the token is in table {table}");
        }
    }

    static int Count(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}

/// <summary>The git servers (repositories web.git and fleet.git), a service, and three workers with workspace roots of their own.</summary>
public sealed class RemoteRepositoriesFixture : IAsyncLifetime
{
    string _state = null!;

    internal GitServers Git { get; private set; } = null!;

    internal SupervisorStack Stack { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _state = TestEnvironment.SharedDirectory("supervisor-remote-");
        Git = await GitServers.StartAsync(Path.Combine(_state, "served"));
        using (var source = await GitRepository.CreateAsync())
        {
            await source.CommitFileAsync("app.txt", "version 1\n");
            await Git.AddAsync("web.git", source);
            await Git.AddAsync("fleet.git", source);
            await Git.AddAsync("acme/app.git", source);
        }

        var config = new Dictionary<string, string>(ShellAgents.Profile("remote", "{prompt}"))
        {
            ["Supervisor__Git__AllowedHosts__0"] = "127.0.0.1",
            ["Supervisor__Git__AllowedHosts__1"] = "localhost",
            // The right token for 127.0.0.1, a wrong one for localhost: the same server under two names.
            ["Supervisor__Worker__Git__Hosts__127.0.0.1__Username"] = Git.User,
            ["Supervisor__Worker__Git__Hosts__127.0.0.1__Token"] = Git.Token,
            ["Supervisor__Worker__Git__Hosts__127.0.0.1__ApiUrl"] = Git.ApiUrl,
            ["Supervisor__Worker__Git__Hosts__127.0.0.1__Forge"] = "github",
            ["Supervisor__Worker__Git__Hosts__localhost__Username"] = Git.User,
            ["Supervisor__Worker__Git__Hosts__localhost__Token"] = "gt_wrong_" + Guid.NewGuid().ToString("N"),
        };
        Stack = await SupervisorStack.StartAsync("remote", config, services: 1);
        for (var i = 1; i <= 3; i++)
        {
            await Stack.AddWorkerAsync("remote", new Dictionary<string, string>
            {
                ["Supervisor__Worker__WorkspaceRoot"] = Path.Combine(_state, $"machine-{i}"),
            });
        }
    }

    public async Task DisposeAsync()
    {
        if (Stack is not null)
            await Stack.DisposeAsync();
        if (Git is not null)
            await Git.DisposeAsync();
        Directory.Delete(_state, recursive: true);
    }
}
