using System.Runtime.Versioning;
using CliWrap;
using CliWrap.Buffered;
using Supervisor.Tests.Execution;
using Supervisor.Worker.Workspaces;
using Xunit.Abstractions;

namespace Supervisor.Tests.Workspaces;

/// <summary>
/// What an agent plants in its workspace (git configuration, hooks, a <c>.git</c> of its own, filters, nested
/// repositories) never runs when the worker commits the attempt with real git, and the commit holds what the agent
/// wrote. Each planted command would touch a marker file; the markers must never appear. Planting is done with the
/// agent's own tools (git run in the workspace, files written), as an agent running as the worker's user can today.
/// </summary>
[UnsupportedOSPlatform("windows")]
public class HostileWorkspaceSpecs : IDisposable
{
    readonly TestRepository _repository = new();
    readonly WorkspaceManager _manager;
    readonly string _markers;

    public HostileWorkspaceSpecs(ITestOutputHelper output)
        : this(output, overlay: false)
    {
    }

    protected HostileWorkspaceSpecs(ITestOutputHelper output, bool overlay)
    {
        var logger = new TestOutputLogger<WorkspaceManager>(output);
        _manager = new WorkspaceManager(_repository.WorkspaceRoot, logger,
            layers: overlay ? new WorkspaceLayers(_repository.WorkspaceRoot, "specs", wanted: true, logger) : null);
        _markers = Directory.CreateDirectory(Path.Combine(_repository.Root, "markers")).FullName;
    }

    public void Dispose()
    {
        _repository.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A shell command that leaves a marker named <paramref name="name"/> when anything runs it, then succeeds as a filter would.</summary>
    string Touch(string name) => $"touch {Path.Combine(_markers, name)}; cat";

    [Fact]
    public async Task An_fsmonitor_set_with_git_config_in_the_workspace_does_not_run()
    {
        var workspace = await CreateAsync();
        // In a worktree this writes the repository's shared configuration: the operator's .git/config.
        await ShAsync(workspace.Path, $"git config core.fsmonitor '{Touch("fsmonitor")}'");
        await ShAsync(workspace.Path, "git config core.untrackedCache true");
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "work.txt"), "work\n");

        var commit = await _manager.CommitAsync(workspace, "attempt", CancellationToken.None);

        Assert.Equal("work\n", Show(commit, "work.txt"));
        AssertNoMarkers();
        // The plant works: git as anyone would run it in the workspace runs the agent's command.
        await ShAsync(workspace.Path, "git status --porcelain");
        Assert.True(File.Exists(Path.Combine(_markers, "fsmonitor")));
        await _manager.RemoveAsync(workspace);
    }

    [Fact]
    public async Task Hooks_planted_in_the_repository_and_in_the_worktrees_git_directory_do_not_run()
    {
        // An earlier attempt's hooks in the repository run (if anything) when this attempt's worktree is made.
        await PlantHooksAsync(Path.Combine(_repository.Path, ".git", "hooks"));
        var workspace = await CreateAsync();
        var gitDirectory = workspace.GitDirectory!;
        await PlantHooksAsync(Path.Combine(gitDirectory, "hooks"));

        // core.hooksPath set by the agent, pointing into its own workspace.
        await ShAsync(workspace.Path, $"mkdir own-hooks && cp {Path.Combine(gitDirectory, "hooks")}/* own-hooks/ && git config core.hooksPath \"$PWD/own-hooks\"");
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "work.txt"), "work\n");

        var commit = await _manager.CommitAsync(workspace, "attempt", CancellationToken.None);
        await _manager.RemoveAsync(workspace);

        Assert.Equal("work\n", Show(commit, "work.txt"));
        AssertNoMarkers();
    }

    [Fact]
    public async Task A_git_directory_of_the_agents_own_in_place_of_the_git_file_is_ignored()
    {
        var workspace = await CreateAsync();
        // The agent's .git: a repository whose configuration has an fsmonitor and a filter that rewrites content.
        var dotGit = Path.Combine(workspace.Path, ".git");
        File.Delete(dotGit);
        await ShAsync(workspace.Path, "git init --quiet .");
        await ShAsync(workspace.Path, $"git config core.fsmonitor '{Touch("own-fsmonitor")}'");
        await ShAsync(workspace.Path, $"git config filter.x.clean '{Touch("own-filter")} | tr a-z A-Z'");
        await ShAsync(workspace.Path, "git config filter.x.required true");
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, ".gitattributes"), "*.txt filter=x\n");
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "work.txt"), "lower case\n");

        var commit = await _manager.CommitAsync(workspace, "attempt", CancellationToken.None);
        AssertNoMarkers();
        // The plant works: git in the workspace, finding the agent's .git, runs both.
        await ShAsync(workspace.Path, "git add -A && git status --porcelain");
        Assert.True(File.Exists(Path.Combine(_markers, "own-fsmonitor")) && File.Exists(Path.Combine(_markers, "own-filter")));
        File.Delete(Path.Combine(_markers, "own-fsmonitor"));
        File.Delete(Path.Combine(_markers, "own-filter"));
        await _manager.RemoveAsync(workspace);

        Assert.Equal("lower case\n", Show(commit, "work.txt"));
        Assert.Equal("*.txt filter=x\n", Show(commit, ".gitattributes"));
        // The commit is on the attempt's branch of the operator's repository, not in the agent's.
        Assert.Equal(commit!.Commit, _repository.Git("rev-parse", workspace.Branch!));
        Assert.Equal(_repository.MainCommit, _repository.Git("rev-parse", commit.Commit + "^"));
        AssertNoMarkers();
        Assert.False(Directory.Exists(workspace.Path));
        Assert.Single(_repository.Git("worktree", "list", "--porcelain").Split('\n'), l => l.StartsWith("worktree ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_filter_the_repository_defines_does_not_run_on_the_agents_content_even_when_required()
    {
        // A required filter in the repository's configuration (where an agent sharing the worker's user can write it,
        // and where an operator may have one of their own): a planted .gitattributes names it for every file.
        _repository.Git("config", "filter.shout.clean", $"{Touch("repository-filter")} | tr a-z A-Z");
        _repository.Git("config", "filter.shout.process", $"sh -c '{Touch("repository-process")}; exit 1'");
        _repository.Git("config", "filter.shout.required", "true");
        _repository.Git("config", "filter.a=b.clean", Touch("odd-name-filter"));
        var workspace = await CreateAsync();
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, ".gitattributes"), "* filter=shout\n*.odd filter=a=b\n");
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "work.txt"), "lower case\n");
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "work.odd"), "odd\n");

        var commit = await _manager.CommitAsync(workspace, "attempt", CancellationToken.None);
        AssertNoMarkers();
        // The plant works: git as anyone would run it in the workspace fails on the required filter, having run it.
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "more.txt"), "more\n");
        await CliWrap.Cli.Wrap("git").WithArguments(["add", "more.txt"]).WithWorkingDirectory(workspace.Path).WithValidation(CommandResultValidation.None).ExecuteAsync();
        Assert.True(File.Exists(Path.Combine(_markers, "repository-process")));
        await _manager.RemoveAsync(workspace);

        Assert.Equal("lower case\n", Show(commit, "work.txt"));
        Assert.Equal("odd\n", Show(commit, "work.odd"));
    }

    [Fact]
    public async Task A_repository_nested_in_the_workspace_is_recorded_without_git_running_inside_it()
    {
        var workspace = await CreateAsync();
        var nested = Path.Combine(workspace.Path, "nested");
        Directory.CreateDirectory(nested);
        await ShAsync(nested, "git init --quiet . && git config user.name a && git config user.email a@b && echo one > n.txt && git add n.txt && git commit --quiet -m one");
        await ShAsync(nested, $"git config core.fsmonitor '{Touch("nested-fsmonitor")}'");
        await ShAsync(nested, $"git config filter.y.clean '{Touch("nested-filter")}'");
        await File.WriteAllTextAsync(Path.Combine(nested, ".gitattributes"), "* filter=y\n");
        // Modified, same size: git would have to hash it, through the filter, to tell whether the nested repository is dirty.
        await File.WriteAllTextAsync(Path.Combine(nested, "n.txt"), "two\n");
        var nestedHead = (await ShAsync(nested, "git rev-parse HEAD")).Trim();

        var commit = await _manager.CommitAsync(workspace, "attempt", CancellationToken.None);
        await _manager.RemoveAsync(workspace);

        Assert.NotNull(commit);
        Assert.Equal($"160000 commit {nestedHead}\tnested", _repository.Git("ls-tree", commit.Commit, "nested"));
        AssertNoMarkers();
    }

    [Fact]
    public async Task A_workspace_owned_by_another_user_is_committed_without_a_dubious_ownership_refusal()
    {
        // Only root can hand a directory to another user (the sandbox's worker runs as root). No safe.directory is set:
        // with an explicit --git-dir git checks no ownership.
        if (!Environment.IsPrivilegedProcess)
        {
            return;
        }

        var workspace = await CreateAsync();
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "work.txt"), "work\n");
        await ShAsync(workspace.Path, $"chown -R 65534:65534 '{workspace.Path}'");
        // The precondition: git that finds the repository from the workspace refuses it.
        var refused = await CliWrap.Cli.Wrap("git").WithArguments(["-C", workspace.Path, "status"]).WithValidation(CommandResultValidation.None)
            .WithEnvironmentVariables(e => e.Set("GIT_CONFIG_NOSYSTEM", "1").Set("GIT_CONFIG_GLOBAL", "/dev/null")).ExecuteBufferedAsync();
        Assert.Contains("dubious ownership", refused.StandardError, StringComparison.Ordinal);

        var commit = await _manager.CommitAsync(workspace, "attempt", CancellationToken.None);
        await _manager.RemoveAsync(workspace);

        Assert.Equal("work\n", Show(commit, "work.txt"));
        Assert.False(Directory.Exists(workspace.Path));
    }

    [Fact]
    public async Task A_workspace_without_a_recorded_git_directory_is_not_committed_through_its_own_git_file()
    {
        var workspace = await CreateAsync();
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "work.txt"), "work\n");

        await Assert.ThrowsAsync<InvalidOperationException>(() => _manager.CommitAsync(workspace with { GitDirectory = null }, "attempt", CancellationToken.None));
        await _manager.RemoveAsync(workspace);
    }

    async Task PlantHooksAsync(string hooks)
    {
        Directory.CreateDirectory(hooks);
        foreach (var hook in new[] { "pre-commit", "commit-msg", "post-commit", "post-index-change", "reference-transaction", "post-checkout" })
        {
            await File.WriteAllTextAsync(Path.Combine(hooks, hook), $"#!/bin/sh\ntouch {Path.Combine(_markers, hook)}\n");
            File.SetUnixFileMode(Path.Combine(hooks, hook), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    Task<Workspace> CreateAsync() => _manager.CreateAsync(Guid.NewGuid(), 1, _repository.Path, null, CancellationToken.None);

    string Show(WorkspaceCommit? commit, string path)
    {
        Assert.NotNull(commit);
        // Plain `git show` in the operator's repository: the test's own git, not the worker's, reads the stored blob.
        return _repository.Git("cat-file", "blob", $"{commit.Commit}:{path}") + "\n";
    }

    void AssertNoMarkers() => Assert.Empty(Directory.EnumerateFileSystemEntries(_markers).Select(Path.GetFileName));

    /// <summary>Runs <paramref name="script"/> with sh in <paramref name="directory"/>, as the agent would; fails the test when it fails.</summary>
    static async Task<string> ShAsync(string directory, string script)
    {
        var result = await CliWrap.Cli.Wrap("/bin/sh").WithArguments(["-c", script]).WithWorkingDirectory(directory)
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(result.ExitCode == 0, $"{script} failed: {result.StandardError}");
        return result.StandardOutput;
    }
}

/// <summary>The same, on copy-on-write workspaces (<see cref="WorkspaceLayers"/>).</summary>
[UnsupportedOSPlatform("windows")]
public sealed class CopyOnWriteHostileWorkspaceSpecs(ITestOutputHelper output) : HostileWorkspaceSpecs(output, overlay: true);
