using Supervisor.Contracts;
using Supervisor.Tests.Execution;
using Supervisor.Worker.Workspaces;
using Xunit.Abstractions;

namespace Supervisor.Tests.Workspaces;

/// <summary>
/// Workspaces of a remote repository: a bare clone of <see cref="TestRepository"/> stands for the remote, reached over
/// <c>file://</c> (git's own transport code, as for any other URL; the other transports are the integration tests').
/// </summary>
public sealed class RemoteWorkspaceSpecs : IDisposable
{
    readonly TestRepository _repository = new();
    readonly TestOutputLogger<WorkspaceManager> _logger;
    readonly WorkspaceManager _manager;
    readonly string _remote;

    public RemoteWorkspaceSpecs(ITestOutputHelper output)
    {
        _logger = new TestOutputLogger<WorkspaceManager>(output);
        _manager = new WorkspaceManager(_repository.WorkspaceRoot, _logger);
        _remote = Path.Combine(_repository.Root, "remote.git");
        _repository.Git("clone", "--quiet", "--bare", _repository.Path, _remote);
    }

    string Url => "file://" + _remote;

    RepositorySpec Spec(string? baseRef = null, string? pushTo = null) => new(null, Url, baseRef, pushTo);

    string RemoteGit(params string[] arguments) => _repository.Git(["--git-dir=" + _remote, .. arguments]);

    public void Dispose() => _repository.Dispose();

    [Fact]
    public async Task An_attempt_works_in_a_worktree_of_the_mirror_and_its_commit_is_pushed_to_its_branch_on_the_remote()
    {
        var taskId = Guid.NewGuid();

        var workspace = await _manager.CreateAsync(taskId, 1, Spec(), CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "result.txt"), "done\n");
        var commit = await _manager.CommitAsync(workspace, "work", CancellationToken.None);
        var pushed = await _manager.PushAsync(workspace, commit!, null, CancellationToken.None);
        await _manager.RemoveAsync(workspace);

        Assert.Equal(_repository.MainCommit, workspace.BaseCommit);
        Assert.StartsWith(Path.Combine(_repository.WorkspaceRoot, ".mirrors"), workspace.RepositoryPath);
        Assert.Equal($"supervisor/{taskId:N}/1", pushed.Branch);
        Assert.Equal(Url, pushed.Remote);
        Assert.Null(pushed.Link);
        Assert.Equal(commit!.Commit, RemoteGit("rev-parse", pushed.Branch!));
        Assert.Equal("done", RemoteGit("show", $"{pushed.Branch}:result.txt"));
        // The operator's repository is never touched, and the pushed branch left the mirror with the workspace.
        Assert.Empty(_repository.Git("branch", "--list", "supervisor/*"));
        Assert.Empty(_repository.Git("worktree", "list", "--porcelain").Split("\n\n").Skip(1));
        Assert.Empty(_repository.Git("--git-dir=" + workspace.RepositoryPath, "branch", "--list", "supervisor/*"));
    }

    [Fact]
    public async Task The_mirror_is_cloned_once_and_fetched_for_later_attempts_which_see_what_is_new_on_the_remote()
    {
        var first = await _manager.CreateAsync(Guid.NewGuid(), 1, Spec(), CancellationToken.None);
        await _manager.RemoveAsync(first);
        // The remote moves on: main gets a commit the mirror does not have yet.
        _repository.Git("commit", "--quiet", "--allow-empty", "-m", "later");
        _repository.Git("push", "--quiet", _remote, "main");
        var later = _repository.Git("rev-parse", "HEAD");

        var second = await _manager.CreateAsync(Guid.NewGuid(), 1, Spec(), CancellationToken.None);
        await _manager.RemoveAsync(second);

        Assert.Equal(later, second.BaseCommit);
        Assert.Equal(first.RepositoryPath, second.RepositoryPath);
        Assert.Single(Directory.GetDirectories(Path.Combine(_repository.WorkspaceRoot, ".mirrors")));
        Assert.Equal(1, _logger.Count(l => l.Contains("cloned into", StringComparison.Ordinal)));
        Assert.Equal(1, _logger.Count(l => l.Contains("fetched", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Attempts_in_two_workers_sharing_a_workspace_root_clone_once_and_all_get_their_worktree()
    {
        var other = new WorkspaceManager(_repository.WorkspaceRoot, _logger);

        var workspaces = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            (i % 2 == 0 ? _manager : other).CreateAsync(Guid.NewGuid(), 1, Spec(), CancellationToken.None)));
        foreach (var workspace in workspaces)
            await _manager.RemoveAsync(workspace);

        Assert.All(workspaces, w => Assert.Equal(_repository.MainCommit, w.BaseCommit));
        Assert.Equal(8, workspaces.Select(w => w.Path).Distinct().Count());
        Assert.Equal(1, _logger.Count(l => l.Contains("cloned into", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_branch_tag_or_commit_of_the_remote_is_a_base_and_a_missing_one_is_the_tasks_fault_naming_it()
    {
        RemoteGit("tag", "v1", _repository.FeatureCommit);

        var onBranch = await _manager.CreateAsync(Guid.NewGuid(), 1, Spec("feature"), CancellationToken.None);
        var onTag = await _manager.CreateAsync(Guid.NewGuid(), 1, Spec("v1"), CancellationToken.None);
        var onCommit = await _manager.CreateAsync(Guid.NewGuid(), 1, Spec(_repository.FeatureCommit[..10]), CancellationToken.None);
        var missing = await Assert.ThrowsAsync<WorkspaceException>(() => _manager.CreateAsync(Guid.NewGuid(), 1, Spec("no-such-branch"), CancellationToken.None));
        foreach (var workspace in new[] { onBranch, onTag, onCommit })
            await _manager.RemoveAsync(workspace);

        Assert.All(new[] { onBranch, onTag, onCommit }, w => Assert.Equal(_repository.FeatureCommit, w.BaseCommit));
        Assert.Contains("repository.baseRef 'no-such-branch'", missing.Message, StringComparison.Ordinal);
        Assert.Contains(Url, missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_attempts_unpushed_branch_in_the_mirror_is_no_base()
    {
        var earlier = await _manager.CreateAsync(Guid.NewGuid(), 1, Spec(), CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(earlier.Path, "secret.txt"), "another task's work\n");
        await _manager.CommitAsync(earlier, "unpushed", CancellationToken.None);
        await _manager.RemoveAsync(earlier);

        var refused = await Assert.ThrowsAsync<WorkspaceException>(() => _manager.CreateAsync(Guid.NewGuid(), 1, Spec(earlier.Branch), CancellationToken.None));

        Assert.Contains("is no branch, tag or commit", refused.Message, StringComparison.Ordinal);
        // Kept in the mirror: it is the only copy of that attempt's commit.
        Assert.NotEmpty(_repository.Git("--git-dir=" + earlier.RepositoryPath, "branch", "--list", earlier.Branch!));
    }

    [Fact]
    public async Task A_host_not_in_the_workers_allowed_hosts_is_refused_before_anything_is_fetched()
    {
        var strict = new WorkspaceManager(_repository.WorkspaceRoot, _logger, allowedHosts: ["git.example.org"]);
        var spec = new RepositorySpec(null, "git://127.0.0.1:9/web.git", null);

        var refused = await Assert.ThrowsAsync<WorkspaceException>(() => strict.CreateAsync(Guid.NewGuid(), 1, spec, CancellationToken.None));

        Assert.Contains("host '127.0.0.1' is not in Supervisor:Git:AllowedHosts of this worker (git.example.org)", refused.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_repository.WorkspaceRoot, ".mirrors")));
    }

    [Fact]
    public async Task A_repository_that_does_not_exist_is_invalid_with_gits_message()
    {
        var spec = new RepositorySpec(null, "file://" + Path.Combine(_repository.Root, "nothing-here.git"), null);

        var failed = await Assert.ThrowsAsync<RemoteGitException>(() => _manager.CreateAsync(Guid.NewGuid(), 1, spec, CancellationToken.None));

        Assert.Equal(ErrorClasses.Invalid, failed.ErrorClass);
        Assert.Contains("does not appear to be a git repository", failed.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(Path.Combine(_repository.WorkspaceRoot, ".mirrors")));
    }

    [Fact]
    public async Task A_push_to_a_branch_that_moved_on_is_rejected_as_an_agent_failure_and_the_commit_stays_in_the_mirror()
    {
        var workspace = await _manager.CreateAsync(Guid.NewGuid(), 1, Spec(), CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "mine.txt"), "mine\n");
        var commit = await _manager.CommitAsync(workspace, "work", CancellationToken.None);
        // Someone else pushed to main meanwhile: the attempt's commit is no fast-forward of it any more.
        _repository.Git("commit", "--quiet", "--allow-empty", "-m", "someone else");
        _repository.Git("push", "--quiet", _remote, "main");

        var rejected = await Assert.ThrowsAsync<RemoteGitException>(() => _manager.PushAsync(workspace, commit!, "main", CancellationToken.None));
        await _manager.RemoveAsync(workspace);

        Assert.Equal(ErrorClasses.AgentFailure, rejected.ErrorClass);
        Assert.Contains("rejected", rejected.Message, StringComparison.Ordinal);
        Assert.Contains($"kept on {workspace.Branch}", rejected.Message, StringComparison.Ordinal);
        Assert.Equal(commit!.Commit, _repository.Git("--git-dir=" + workspace.RepositoryPath, "rev-parse", workspace.Branch!));
    }

    [Fact]
    public async Task A_push_to_a_named_branch_fast_forwards_it()
    {
        var workspace = await _manager.CreateAsync(Guid.NewGuid(), 1, Spec("main"), CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "next.txt"), "next\n");
        var commit = await _manager.CommitAsync(workspace, "work", CancellationToken.None);

        var pushed = await _manager.PushAsync(workspace, commit!, "main", CancellationToken.None);
        await _manager.RemoveAsync(workspace);

        Assert.Equal("main", pushed.Branch);
        Assert.Equal(commit!.Commit, RemoteGit("rev-parse", "main"));
    }

    [Fact]
    public async Task Beyond_its_bound_the_cache_removes_the_least_recently_used_mirror_and_keeps_the_one_in_use()
    {
        var small = new WorkspaceManager(_repository.WorkspaceRoot, _logger, git: new Worker.Settings.WorkerGitOptions { MirrorCacheMegabytes = 1 });
        var second = Path.Combine(_repository.Root, "second.git");
        var third = Path.Combine(_repository.Root, "third.git");
        _repository.Git("clone", "--quiet", "--bare", _repository.Path, second);
        _repository.Git("clone", "--quiet", "--bare", _repository.Path, third);

        var first = await small.CreateAsync(Guid.NewGuid(), 1, Spec(), CancellationToken.None);
        await small.RemoveAsync(first);
        // Each mirror past the bound on its own: when a new one comes, every other one that can go has to.
        await File.WriteAllBytesAsync(Path.Combine(first.RepositoryPath!, "padding"), new byte[2 * 1024 * 1024]);
        var inUse = await small.CreateAsync(Guid.NewGuid(), 1, new RepositorySpec(null, "file://" + second, null), CancellationToken.None);
        await File.WriteAllBytesAsync(Path.Combine(inUse.RepositoryPath!, "padding"), new byte[2 * 1024 * 1024]);
        var last = await small.CreateAsync(Guid.NewGuid(), 1, new RepositorySpec(null, "file://" + third, null), CancellationToken.None);

        Assert.False(Directory.Exists(first.RepositoryPath), "the least recently used mirror, with no worktree, is removed");
        Assert.True(Directory.Exists(inUse.RepositoryPath), "a mirror with a live worktree stays");
        Assert.True(Directory.Exists(last.RepositoryPath));
        await small.RemoveAsync(inUse);
        await small.RemoveAsync(last);
    }
}
