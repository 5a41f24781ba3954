using Supervisor.Contracts;
using Supervisor.Rules.Repositories;

namespace Supervisor.Tests.Rules.Repositories;

public sealed class RemoteUrlSpecs
{
    [Theory]
    [InlineData("https://github.com/acme/web.git", "https", "github.com", null, "acme/web.git")]
    [InlineData("HTTPS://GitHub.com/acme/web", "https", "github.com", null, "acme/web")]
    [InlineData("http://127.0.0.1:8080/repos/web.git", "http", "127.0.0.1", 8080, "repos/web.git")]
    [InlineData("ssh://git@git.example.org:2222/srv/web.git", "ssh", "git.example.org", 2222, "srv/web.git")]
    [InlineData("git@github.com:acme/web.git", "ssh", "github.com", null, "acme/web.git")]
    [InlineData("gitea.local:acme/web", "ssh", "gitea.local", null, "acme/web")]
    [InlineData("git://127.0.0.1:9418/web.git", "git", "127.0.0.1", 9418, "web.git")]
    [InlineData("file:///srv/git/web.git", "file", "", null, "/srv/git/web.git")]
    public void A_url_of_an_allowed_transport_parses_into_its_parts(string text, string scheme, string host, int? port, string path)
    {
        Assert.True(RemoteUrl.TryParse(text, out var url, out var error), error);

        Assert.Equal((scheme, host, port, path, text), (url.Scheme, url.Host, url.Port, url.Path, url.Text));
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("https://x-access-token:ghp_secret@github.com/acme/web.git", "must not carry credentials")]
    [InlineData("https://ghp_secret@github.com/acme/web.git", "must not carry credentials")]
    [InlineData("ssh://git:pw@host/web.git", "must not carry credentials")]
    [InlineData("ext::sh -c touch% /tmp/pwned", "without spaces")]
    [InlineData("ext::sh", "is not a repository URL")]
    [InlineData("fd::17", "is not a repository URL")]
    [InlineData("ftp://host/web.git", "'ftp://' is not a transport")]
    [InlineData("-uhelp@host:web.git", "starts with '-'")]
    [InlineData("https://github.com/acme/web.git?x=1", "query or a fragment")]
    [InlineData("https://github.com", "no host or no repository path")]
    [InlineData("./relative/path", "is not a repository URL")]
    [InlineData("/srv/git/web.git", "a local clone is repository.path")]
    [InlineData("file://otherhost/srv/web.git", "a path on the worker's machine")]
    public void Anything_else_is_refused_with_the_reason(string text, string reason)
    {
        Assert.False(RemoteUrl.TryParse(text, out _, out var error));

        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_host_is_allowed_by_name_in_any_case_or_by_a_star()
    {
        Assert.True(RemoteUrl.TryParse("git@GitHub.com:acme/web.git", out var url, out _));

        Assert.True(url.HostAllowed(["gitlab.com", "GITHUB.COM"]));
        Assert.True(url.HostAllowed(["*"]));
        Assert.False(url.HostAllowed(["github.com.evil.org"]));
        Assert.False(url.HostAllowed([]));
    }

    [Fact]
    public void Each_url_has_a_cache_folder_of_its_own_named_for_people()
    {
        Assert.True(RemoteUrl.TryParse("https://github.com/acme/web.git", out var https, out _));
        Assert.True(RemoteUrl.TryParse("git@github.com:acme/web.git", out var ssh, out _));

        Assert.Matches("^github.com-web-[0-9a-f]{16}\\.git$", https.CacheName());
        Assert.NotEqual(https.CacheName(), ssh.CacheName());
        Assert.Equal(https.CacheName(), RemoteUrl.TryParse("https://github.com/acme/web.git", out var again, out _) ? again.CacheName() : null);
    }

    [Theory]
    [InlineData("https://github.com/acme/web.git", null, "https://github.com/acme/web/compare/abc123...supervisor/t/1")]
    [InlineData("git@gitlab.com:acme/web.git", null, "https://gitlab.com/acme/web/-/compare/abc123...supervisor/t/1")]
    [InlineData("http://127.0.0.1:3000/acme/web.git", "gitea", "http://127.0.0.1:3000/acme/web/compare/abc123...supervisor/t/1")]
    [InlineData("ssh://git@git.example.org/acme/web.git", "GitHub", "https://git.example.org/acme/web/compare/abc123...supervisor/t/1")]
    [InlineData("https://git.example.org/acme/web.git", null, null)]
    [InlineData("file:///srv/web.git", "github", null)]
    public void A_known_forge_gets_a_compare_link(string text, string? configured, string? link)
    {
        Assert.True(RemoteUrl.TryParse(text, out var url, out _));

        Assert.Equal(link, ForgeLinks.Compare(url, ForgeLinks.KindOf(url, configured), "abc123", "supervisor/t/1"));
    }

    /// <summary>Messages as git 2.39 and the forges print them.</summary>
    [Theory]
    [InlineData("fatal: Authentication failed for 'https://github.com/acme/web.git/'", ErrorClasses.Fatal)]
    [InlineData("fatal: could not read Username for 'https://github.com': terminal prompts disabled", ErrorClasses.Fatal)]
    [InlineData("git@github.com: Permission denied (publickey).\r\nfatal: Could not read from remote repository.", ErrorClasses.Fatal)]
    [InlineData("Host key verification failed.\nfatal: Could not read from remote repository.", ErrorClasses.Fatal)]
    [InlineData("fatal: unable to access 'https://x/': The requested URL returned error: 403", ErrorClasses.Fatal)]
    [InlineData("remote: Repository not found.\nfatal: repository 'https://github.com/acme/nope.git/' not found", ErrorClasses.Invalid)]
    [InlineData("fatal: remote error: access denied or repository not exported: /nope.git", ErrorClasses.Invalid)]
    [InlineData("fatal: remote error: no such repository: /nope.git", ErrorClasses.Invalid)]
    [InlineData("fatal: '/srv/nope.git' does not appear to be a git repository", ErrorClasses.Invalid)]
    [InlineData("fatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.", ErrorClasses.Invalid)]
    [InlineData("ssh: connect to host git.example.org port 22: Connection refused\r\nfatal: Could not read from remote repository.", ErrorClasses.Retryable)]
    [InlineData("fatal: unable to access 'https://x/': The requested URL returned error: 502", ErrorClasses.Retryable)]
    [InlineData(" ! [rejected]        abc -> main (non-fast-forward)\nerror: failed to push some refs to 'x'", ErrorClasses.AgentFailure)]
    [InlineData(" ! [remote rejected] abc -> main (pre-receive hook declined)", ErrorClasses.AgentFailure)]
    [InlineData("fatal: unable to access 'https://github.com/acme/web.git/': Could not resolve host: github.com", ErrorClasses.Retryable)]
    [InlineData("fatal: unable to connect to 127.0.0.1:\n127.0.0.1[0: 127.0.0.1]: errno=Connection refused", ErrorClasses.Retryable)]
    [InlineData("error: RPC failed; curl 56 Recv failure: Connection reset by peer\nfatal: early EOF", ErrorClasses.Retryable)]
    public void A_failed_fetch_or_push_is_classified_by_gits_message(string message, string errorClass) =>
        Assert.Equal(errorClass, RemoteGitFailures.Classify(message));

    [Theory]
    [InlineData("main", null)]
    [InlineData("feature/login-v2", null)]
    [InlineData("release-1.0", null)]
    [InlineData("-delete", "must not start with '-'")]
    [InlineData("a..b", "'..'")]
    [InlineData("has space", "spaces")]
    [InlineData("x.lock", "'.lock'")]
    [InlineData("feature/.hidden", "starts with '.'")]
    [InlineData("refs@{1}", "'@{'")]
    [InlineData("trailing/", "end with '/'")]
    public void Branch_names_follow_gits_rules(string name, string? problem)
    {
        var found = BranchNames.Problem(name);

        if (problem is null)
            Assert.Null(found);
        else
            Assert.Contains(problem, found, StringComparison.Ordinal);
    }
}
