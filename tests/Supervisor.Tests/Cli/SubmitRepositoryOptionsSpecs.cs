using Supervisor.Cli;
using static Supervisor.Tests.Cli.SubmitBodies;

namespace Supervisor.Tests.Cli;

/// <summary>
/// <c>supervisor submit|schedule add … --repo PATH | --repo-url URL [--base-ref REF] [--push-to BRANCH]</c>: where the task
/// works, sent as the API reads it (<c>repository.path</c>, <c>url</c>, <c>baseRef</c>, <c>pushTo</c>).
/// </summary>
public sealed class SubmitRepositoryOptionsSpecs
{
    [Fact]
    public void A_remote_repository_is_sent_with_its_base_and_push_branch()
    {
        var repository = Body("submit", "fix it", "--repo-url", "git@github.com:acme/web.git", "--base-ref", "main", "--push-to", "fix-it")
            .GetProperty("repository");

        Assert.Equal(("git@github.com:acme/web.git", "main", "fix-it"),
            (repository.GetProperty("url").GetString(), repository.GetProperty("baseRef").GetString(), repository.GetProperty("pushTo").GetString()));
        Assert.False(repository.TryGetProperty("path", out var path) && path.ValueKind != System.Text.Json.JsonValueKind.Null);
    }

    [Fact]
    public void A_pull_request_is_asked_for_with_its_title()
    {
        var repository = Body("submit", "fix it", "--repo-url", "https://github.com/acme/web.git", "--open-pr", "--pr-title", "Fix the login")
            .GetProperty("repository");

        Assert.True(repository.GetProperty("openPullRequest").GetBoolean());
        Assert.Equal("Fix the login", repository.GetProperty("pullRequestTitle").GetString());
    }

    [Fact]
    public void A_local_path_is_made_absolute_and_a_url_given_as_repo_goes_as_a_url()
    {
        var local = Body("submit", "fix it", "--repo", "app").GetProperty("repository");
        var remote = Body("submit", "fix it", "--repo", "https://github.com/acme/web.git").GetProperty("repository");

        Assert.Equal(Path.GetFullPath("app"), local.GetProperty("path").GetString());
        Assert.Equal("https://github.com/acme/web.git", remote.GetProperty("url").GetString());
    }

    [Fact]
    public void The_repository_and_result_the_service_shows_read_back_through_the_clis_models()
    {
        var web = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
        var local = System.Text.Json.JsonSerializer.Serialize(new Service.Api.RepositoryView("/srv/app", null, null), web);
        var remote = System.Text.Json.JsonSerializer.Serialize(
            new Service.Api.RepositoryView(null, "https://github.com/acme/web.git", "main", "fix", true, "Fix it", "Body"), web);
        var result = System.Text.Json.JsonSerializer.Serialize(
            new Service.Api.ResultView("claude", "fix", "abc", "1 file changed", "done", "https://github.com/acme/web.git", "https://x/compare", "https://x/pull/1"), web);

        Assert.Equal(new Contracts.RepositorySpec("/srv/app", null, null), ApiJson.Read<Contracts.RepositorySpec>(local));
        Assert.Equal(new Contracts.RepositorySpec(null, "https://github.com/acme/web.git", "main", "fix", true, "Fix it", "Body"),
            ApiJson.Read<Contracts.RepositorySpec>(remote));
        Assert.Equal(new Contracts.TaskResult("claude", "fix", "abc", "1 file changed", "done", "https://github.com/acme/web.git", "https://x/compare", "https://x/pull/1"),
            ApiJson.Read<Contracts.TaskResult>(result));
    }

    [Theory]
    [InlineData(new[] { "--repo", "app", "--repo-url", "git://127.0.0.1/web.git" }, "give --repo or --repo-url, not both")]
    [InlineData(new[] { "--push-to", "main" }, "--push-to needs --repo-url")]
    [InlineData(new[] { "--base-ref", "main" }, "--base-ref needs --repo or --repo-url")]
    [InlineData(new[] { "--repo-url", " " }, "--repo-url needs a URL")]
    [InlineData(new[] { "--repo", "app", "--open-pr" }, "--open-pr needs --repo-url")]
    [InlineData(new[] { "--repo-url", "git://127.0.0.1/web.git", "--pr-title", "Fix" }, "--pr-title needs --open-pr")]
    public void A_bad_combination_is_a_usage_error_naming_its_option(string[] options, string message)
    {
        foreach (var command in new[] { new[] { "submit" }, ["schedule", "add", "--every", "1h"] })
        {
            var parse = SupervisorCli.Build().Parse([.. command, .. options, "fix it"]);

            Assert.Contains(parse.Errors, e => e.Message.StartsWith(message, StringComparison.Ordinal));
        }
    }
}
