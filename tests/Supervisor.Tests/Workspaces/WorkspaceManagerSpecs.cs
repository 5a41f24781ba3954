using System.Runtime.Versioning;
using Supervisor.Tests.Execution;
using Supervisor.Worker.Workspaces;
using Xunit.Abstractions;

namespace Supervisor.Tests.Workspaces;

/// <summary>Workspaces as plain worktrees; <see cref="CopyOnWriteWorkspaceManagerSpecs"/> runs the same as overlays.</summary>
public class WorkspaceManagerSpecs : IDisposable
{
    readonly TestRepository _repository = new();
    readonly TestOutputLogger<WorkspaceManager> _logger;
    readonly WorkspaceManager _manager;
    readonly bool _overlay;

    public WorkspaceManagerSpecs(ITestOutputHelper output)
        : this(output, overlay: false)
    {
    }

    protected WorkspaceManagerSpecs(ITestOutputHelper output, bool overlay)
    {
        _overlay = overlay;
        _logger = new TestOutputLogger<WorkspaceManager>(output);
        var layers = overlay ? new WorkspaceLayers(_repository.WorkspaceRoot, "specs", wanted: true, _logger) : null;
        Assert.True(layers?.Available ?? true, "overlays cannot be mounted here (the worker needs root and overlayfs)");
        _manager = new WorkspaceManager(_repository.WorkspaceRoot, _logger, layers: layers);
    }

    public void Dispose()
    {
        _repository.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>What lies in the workspace root but the worker's own folders (.layers, .mirrors).</summary>
    IEnumerable<string> Workspaces() =>
        Directory.EnumerateFileSystemEntries(_repository.WorkspaceRoot).Where(p => !Path.GetFileName(p).StartsWith('.'));

    [Fact]
    public async Task Without_a_repository_a_workspace_is_an_empty_directory_that_removing_deletes()
    {
        var taskId = Guid.NewGuid();

        var workspace = await _manager.CreateAsync(taskId, 2, null, null, CancellationToken.None);

        Assert.Equal(new Workspace(workspace.Path, null, null, null), workspace);
        Assert.Matches($"^{taskId.ToString("N")}-2-[a-z0-9]{{6}}$", Path.GetFileName(workspace.Path));
        Assert.Equal(_repository.WorkspaceRoot, Path.GetDirectoryName(workspace.Path));
        Assert.Empty(Directory.EnumerateFileSystemEntries(workspace.Path));
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "scratch.txt"), "x");
        Assert.Null(await _manager.CommitAsync(workspace, "nothing to commit to", CancellationToken.None));

        await _manager.RemoveAsync(workspace);

        Assert.False(Directory.Exists(workspace.Path));
    }

    [Fact]
    public async Task Two_tasks_whose_ids_share_their_first_digits_get_distinct_branches_and_workspaces()
    {
        var first = Guid.Parse("0192f0aa-0000-7000-8000-000000000001");
        var second = Guid.Parse("0192f0aa-0000-7000-8000-000000000002");

        var a = await _manager.CreateAsync(first, 1, _repository.Path, null, CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(a.Path, "a.txt"), "a");
        var committed = await _manager.CommitAsync(a, "first task's work", CancellationToken.None);
        var b = await _manager.CreateAsync(second, 1, _repository.Path, null, CancellationToken.None);

        Assert.NotEqual(a.Branch, b.Branch);
        Assert.NotEqual(Path.GetFileName(a.Path)[..34], Path.GetFileName(b.Path)[..34]);
        // The second task's -B did not reset the first task's result.
        Assert.Equal(committed!.Commit, _repository.Git("rev-parse", a.Branch!));
        await _manager.RemoveAsync(a);
        await _manager.RemoveAsync(b);
    }

    [Fact]
    public async Task A_base_ref_is_checked_out_on_the_attempts_branch()
    {
        var taskId = Guid.NewGuid();

        var workspace = await _manager.CreateAsync(taskId, 1, _repository.Path, "feature", CancellationToken.None);

        Assert.Equal($"supervisor/{taskId.ToString("N")}/1", workspace.Branch);
        Assert.Equal(_repository.FeatureCommit, workspace.BaseCommit);
        Assert.Equal(_repository.Path, workspace.RepositoryPath);
        Assert.True(File.Exists(Path.Combine(workspace.Path, "feature.txt")));
        Assert.Equal(_repository.FeatureCommit, _repository.Git("rev-parse", workspace.Branch!));
        Assert.Equal("main", _repository.Git("branch", "--show-current"));
        await _manager.RemoveAsync(workspace);
    }

    [Fact]
    public async Task A_written_file_once_committed_lands_on_the_branch_and_outlives_the_workspace()
    {
        var workspace = await _manager.CreateAsync(Guid.NewGuid(), 1, _repository.Path, null, CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "hello.txt"), "hello\n");

        var commit = await _manager.CommitAsync(workspace, "supervisor: attempt 1", CancellationToken.None);
        await _manager.RemoveAsync(workspace);

        Assert.NotNull(commit);
        Assert.Equal(_repository.MainCommit, workspace.BaseCommit);
        Assert.Equal(" hello.txt | 1 +\n 1 file changed, 1 insertion(+)", commit.DiffStat);
        Assert.Equal($"{commit.Commit} supervisor: attempt 1", _repository.Git("log", "-1", "--format=%H %s", workspace.Branch!));
        Assert.Equal("Supervisor <supervisor@localhost>", _repository.Git("log", "-1", "--format=%an <%ae>", workspace.Branch!));
        Assert.False(Directory.Exists(workspace.Path));
        Assert.Single(_repository.Git("worktree", "list", "--porcelain").Split('\n'), l => l.StartsWith("worktree ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Committing_when_nothing_changed_returns_null()
    {
        var workspace = await _manager.CreateAsync(Guid.NewGuid(), 1, _repository.Path, "main", CancellationToken.None);

        var commit = await _manager.CommitAsync(workspace, "nothing", CancellationToken.None);

        Assert.Null(commit);
        Assert.Equal(_repository.MainCommit, _repository.Git("rev-parse", workspace.Branch!));
        await _manager.RemoveAsync(workspace);
    }

    [Fact]
    public async Task Committing_after_the_agent_committed_itself_reports_that_commit()
    {
        var workspace = await _manager.CreateAsync(Guid.NewGuid(), 1, _repository.Path, null, CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "agent.txt"), "by the agent\n");
        _repository.Git("-C", workspace.Path, "add", "agent.txt");
        _repository.Git("-C", workspace.Path, "commit", "--quiet", "-m", "agent's own commit");
        var agentCommit = _repository.Git("-C", workspace.Path, "rev-parse", "HEAD");

        var commit = await _manager.CommitAsync(workspace, "supervisor", CancellationToken.None);

        Assert.Equal(agentCommit, commit?.Commit);
        Assert.Contains("agent.txt", commit?.DiffStat, StringComparison.Ordinal);
        await _manager.RemoveAsync(workspace);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task A_failing_repository_hook_does_not_run_on_commit()
    {
        var hook = Path.Combine(_repository.Path, ".git", "hooks", "pre-commit");
        await File.WriteAllTextAsync(hook, "#!/bin/sh\necho vetoed >&2\nexit 1\n");
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var workspace = await _manager.CreateAsync(Guid.NewGuid(), 1, _repository.Path, null, CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "hello.txt"), "hello\n");

        var commit = await _manager.CommitAsync(workspace, "despite the hook", CancellationToken.None);

        Assert.NotNull(commit);
        await _manager.RemoveAsync(workspace);
    }

    [Fact]
    public async Task Creating_from_a_missing_repository_throws_a_WorkspaceException()
    {
        var missing = Path.Combine(_repository.Root, "nope");
        var plain = Directory.CreateDirectory(Path.Combine(_repository.Root, "plain")).FullName;

        var noDirectory = await Assert.ThrowsAsync<WorkspaceException>(() => _manager.CreateAsync(Guid.NewGuid(), 1, missing, null, CancellationToken.None));
        var notARepository = await Assert.ThrowsAsync<WorkspaceException>(() => _manager.CreateAsync(Guid.NewGuid(), 1, plain, null, CancellationToken.None));

        Assert.Equal($"repository.path '{missing}' is not a git repository", noDirectory.Message);
        Assert.Equal($"repository.path '{plain}' is not a git repository", notARepository.Message);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task A_repository_outside_the_workers_allowed_roots_is_refused_before_git_looks_at_it()
    {
        var allowed = Directory.CreateDirectory(Path.Combine(_repository.Root, "allowed")).FullName;
        var manager = new WorkspaceManager(_repository.WorkspaceRoot, _logger, [allowed]);
        // A link inside the allowed root that leads to the (real, existing) repository outside it.
        var escape = Path.Combine(allowed, "escape");
        File.CreateSymbolicLink(escape, _repository.Path);
        var linked = Path.Combine(_repository.Root, "linked-root");
        File.CreateSymbolicLink(linked, _repository.Root);

        var outside = await Assert.ThrowsAsync<WorkspaceException>(() => manager.CreateAsync(Guid.NewGuid(), 1, escape, null, CancellationToken.None));
        var relative = await Assert.ThrowsAsync<WorkspaceException>(() => manager.CreateAsync(Guid.NewGuid(), 1, "repo", null, CancellationToken.None));
        var inside = await new WorkspaceManager(_repository.WorkspaceRoot, _logger, [linked])
            .CreateAsync(Guid.NewGuid(), 1, escape, null, CancellationToken.None);

        Assert.Equal($"repository.path '{escape}' is not under an allowed repository root of this worker (Supervisor:Worker:AllowedRepositoryRoots: {allowed})", outside.Message);
        Assert.Equal("repository.path 'repo' is not an absolute path", relative.Message);
        Assert.DoesNotContain(Workspaces(), p => p != inside.Path);
        // Allowed through the linked root: git works on the real path the check resolved.
        Assert.Equal(_repository.Path, inside.RepositoryPath);
        await _manager.RemoveAsync(inside);
    }

    [Theory]
    [InlineData("no-such-branch")]
    [InlineData("--output=/tmp/x")]
    [InlineData("0000000000000000000000000000000000000000")]
    public async Task Creating_from_a_missing_ref_throws_a_WorkspaceException(string baseRef)
    {
        var thrown = await Assert.ThrowsAsync<WorkspaceException>(
            () => _manager.CreateAsync(Guid.NewGuid(), 1, _repository.Path, baseRef, CancellationToken.None));

        Assert.Equal($"repository.baseRef '{baseRef}' does not exist in {_repository.Path}", thrown.Message);
        Assert.Empty(Workspaces());
    }

    [Fact]
    public async Task Eight_concurrent_attempts_on_one_repository_all_succeed()
    {
        var results = await Task.WhenAll(Enumerable.Range(1, 8).Select(async attempt =>
        {
            var workspace = await _manager.CreateAsync(Guid.NewGuid(), attempt, _repository.Path, null, CancellationToken.None);
            await File.WriteAllTextAsync(Path.Combine(workspace.Path, $"file{attempt}.txt"), $"{attempt}\n");
            var commit = await _manager.CommitAsync(workspace, $"attempt {attempt}", CancellationToken.None);
            await _manager.RemoveAsync(workspace);
            return (workspace, commit);
        }));

        Assert.All(results, r =>
        {
            Assert.NotNull(r.commit);
            Assert.Equal(r.commit.Commit, _repository.Git("rev-parse", r.workspace.Branch!));
            Assert.False(Directory.Exists(r.workspace.Path));
        });
        Assert.Single(_repository.Git("worktree", "list", "--porcelain").Split('\n'), l => l.StartsWith("worktree ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_ref_locked_by_another_process_for_a_moment_is_retried_until_it_is_free()
    {
        var taskId = Guid.NewGuid();
        var refDirectory = Directory.CreateDirectory(Path.Combine(_repository.Path, ".git", "refs", "heads", "supervisor", taskId.ToString("N")));
        var lockFile = Path.Combine(refDirectory.FullName, "1.lock");
        await File.WriteAllTextAsync(lockFile, "");

        var create = _manager.CreateAsync(taskId, 1, _repository.Path, null, CancellationToken.None);
        await Task.Delay(300);
        File.Delete(lockFile);
        var workspace = await create;

        Assert.Equal(_repository.MainCommit, _repository.Git("rev-parse", workspace.Branch!));
        await _manager.RemoveAsync(workspace);
    }

    [Fact]
    public async Task The_same_attempt_again_after_a_lost_worker_resets_the_branch_to_the_base()
    {
        var taskId = Guid.NewGuid();
        var lost = await _manager.CreateAsync(taskId, 3, _repository.Path, null, CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(lost.Path, "half-done.txt"), "partial\n");
        await _manager.CommitAsync(lost, "lost attempt", CancellationToken.None);

        // The lost worker never removed its worktree, which still has the branch checked out.
        var rerun = await _manager.CreateAsync(taskId, 3, _repository.Path, null, CancellationToken.None);

        Assert.Equal(lost.Branch, rerun.Branch);
        Assert.Equal(_repository.MainCommit, _repository.Git("rev-parse", rerun.Branch!));
        Assert.False(File.Exists(Path.Combine(rerun.Path, "half-done.txt")));
        await _manager.RemoveAsync(rerun);
        await _manager.RemoveAsync(lost);
    }

    [Fact]
    public async Task A_branch_held_by_a_folder_that_is_no_workspace_of_the_attempt_is_refused_and_the_folder_kept()
    {
        var taskId = Guid.NewGuid();
        var lost = await _manager.CreateAsync(taskId, 2, _repository.Path, null, CancellationToken.None);
        // git's record of the lost worktree rewritten to name a folder of someone else's (as an agent running as the worker could).
        var decoy = Directory.CreateTempSubdirectory("decoy-").FullName;
        await File.WriteAllTextAsync(Path.Combine(decoy, "keep.txt"), "mine\n");
        var record = Directory.GetDirectories(Path.Combine(_repository.Path, ".git", "worktrees"))
            .Single(d => File.ReadAllText(Path.Combine(d, "gitdir")).Trim() == Path.Combine(lost.Path, ".git"));
        await File.WriteAllTextAsync(Path.Combine(record, "gitdir"), Path.Combine(decoy, ".git") + "\n");
        await File.WriteAllTextAsync(Path.Combine(decoy, ".git"), $"gitdir: {record}\n");
        try
        {
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => _manager.CreateAsync(taskId, 2, _repository.Path, null, CancellationToken.None));

            Assert.Contains(lost.Branch!, refused.Message, StringComparison.Ordinal);
            Assert.Equal("mine\n", await File.ReadAllTextAsync(Path.Combine(decoy, "keep.txt")));
        }
        finally
        {
            Directory.Delete(decoy, recursive: true);
            await _manager.RemoveAsync(lost);
        }
    }

    [Fact]
    public async Task The_same_attempt_again_after_removal_resets_the_branch_to_the_base()
    {
        var taskId = Guid.NewGuid();
        var first = await _manager.CreateAsync(taskId, 1, _repository.Path, null, CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(first.Path, "first.txt"), "first\n");
        await _manager.CommitAsync(first, "first run", CancellationToken.None);
        await _manager.RemoveAsync(first);

        var second = await _manager.CreateAsync(taskId, 1, _repository.Path, "feature", CancellationToken.None);

        Assert.Equal(_repository.FeatureCommit, _repository.Git("rev-parse", second.Branch!));
        await _manager.RemoveAsync(second);
    }

    [Fact]
    public async Task Removing_a_workspace_already_gone_does_not_throw()
    {
        var plain = await _manager.CreateAsync(Guid.NewGuid(), 1, null, null, CancellationToken.None);
        var worktree = await _manager.CreateAsync(Guid.NewGuid(), 1, _repository.Path, null, CancellationToken.None);
        Directory.Delete(plain.Path);
        if (_overlay)
            await _manager.RemoveAsync(worktree);
        else
            Directory.Delete(worktree.Path, recursive: true);

        await _manager.RemoveAsync(plain);
        await _manager.RemoveAsync(worktree);
        await _manager.RemoveAsync(worktree with { RepositoryPath = Path.Combine(_repository.Root, "gone") });

        Assert.Single(_repository.Git("worktree", "list", "--porcelain").Split('\n'), l => l.StartsWith("worktree ", StringComparison.Ordinal));
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task Read_only_directories_left_by_the_agent_are_removed_too()
    {
        var workspace = await _manager.CreateAsync(Guid.NewGuid(), 1, null, null, CancellationToken.None);
        var locked = Directory.CreateDirectory(Path.Combine(workspace.Path, "cache", "module"));
        await File.WriteAllTextAsync(Path.Combine(locked.FullName, "file"), "x");
        locked.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserExecute;

        await _manager.RemoveAsync(workspace);

        Assert.False(Directory.Exists(workspace.Path));
    }
}

/// <summary>The same, with every worktree a copy-on-write overlay over a shared checkout (<see cref="WorkspaceLayers"/>).</summary>
public sealed class CopyOnWriteWorkspaceManagerSpecs(ITestOutputHelper output) : WorkspaceManagerSpecs(output, overlay: true);
