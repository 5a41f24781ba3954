using System.Runtime.Versioning;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using CliWrap.Buffered;
using Supervisor.Tests.Execution;
using Supervisor.Worker.Execution;
using Supervisor.Worker.Settings;
using Supervisor.Worker.Workspaces;
using Xunit.Abstractions;

namespace Supervisor.Tests.Workspaces;

/// <summary>
/// Copy-on-write workspaces on a repository of 1000 files: an attempt's layer holds what it wrote and nothing else, an
/// attempt's own user may change any file, the shared checkout never changes, and the next attempt sees none of it.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class CopyOnWriteSpecs : IDisposable
{
    readonly TestRepository _repository = new();
    readonly WorkspaceLayers _layers;
    readonly WorkspaceManager _manager;

    public CopyOnWriteSpecs(ITestOutputHelper output)
    {
        var logger = new TestOutputLogger<WorkspaceManager>(output);
        // As a worker's root must be: agent users pass through to their own workspace.
        File.SetUnixFileMode(_repository.Root, (UnixFileMode)0b111_001_001);
        Directory.CreateDirectory(_repository.WorkspaceRoot).UnixFileMode = (UnixFileMode)0b111_001_001;
        _layers = new WorkspaceLayers(_repository.WorkspaceRoot, "specs", wanted: true, logger);
        _manager = new WorkspaceManager(_repository.WorkspaceRoot, logger, layers: _layers);
        for (var i = 0; i < 1000; i++)
            File.WriteAllText(Path.Combine(_repository.Path, $"file-{i:0000}.txt"), new string('x', 1000) + i + "\n");
        _repository.Git("add", "-A");
        _repository.Git("commit", "--quiet", "-m", "a thousand files");
    }

    public void Dispose() => _repository.Dispose();

    [Fact]
    public async Task An_agent_user_changes_one_file_and_the_attempt_commits_and_stores_only_that_and_the_next_attempt_starts_clean()
    {
        Assert.True(_layers.Available, "overlays cannot be mounted here (the worker needs root and overlayfs)");
        var users = new AgentUsers(Options.Create(new WorkerOptions { WorkspaceRoot = _repository.WorkspaceRoot, AgentUsers = "61980" }), NullLogger<AgentUsers>.Instance);
        var first = await _manager.CreateAsync(Guid.NewGuid(), 1, _repository.Path, null, CancellationToken.None);
        Assert.NotNull(first.Upper);
        await using (var user = (await users.ClaimAsync())!)
        {
            user.Hand(first.Path, first.Upper);
            var agent = await new ProcessRunner(NullLogger<ProcessRunner>.Instance).RunAsync(
                new ProcessSpec("sh", ["-c", "echo changed > file-0007.txt && echo new > added.txt && rm file-0008.txt && id -u"], first.Path,
                    new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" }, TimeSpan.FromMinutes(1), RunAs: user.Uid),
                (_, _) => ValueTask.CompletedTask, CancellationToken.None);
            Assert.True(agent.ExitCode == 0, agent.StartError ?? $"the agent exited {agent.ExitCode}");
            await user.ReclaimAsync(first.Path, first.Upper);
        }

        var layerEntries = Directory.EnumerateFileSystemEntries(first.Upper!, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order().ToList();
        var layerBytes = Directory.EnumerateFiles(first.Upper!, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        var commit = await _manager.CommitAsync(first, "one file", CancellationToken.None);
        await _manager.RemoveAsync(first);
        var second = await _manager.CreateAsync(Guid.NewGuid(), 1, _repository.Path, null, CancellationToken.None);

        // The changed file, the new one, the deletion's whiteout and the worktree's .git file: nothing of the other 998.
        Assert.Equal([".git", "added.txt", "file-0007.txt", "file-0008.txt"], layerEntries);
        Assert.True(layerBytes < 10_000, $"the attempt's layer holds {layerBytes} bytes");
        Assert.Contains("3 files changed", commit!.DiffStat, StringComparison.Ordinal);
        Assert.Equal(["added.txt", "file-0007.txt", "file-0008.txt"],
            _repository.Git("diff", "--name-only", _repository.Git("rev-parse", "HEAD"), commit.Commit).Split('\n'));
        Assert.False(File.Exists(Path.Combine(second.Path, "added.txt")));
        Assert.True(File.Exists(Path.Combine(second.Path, "file-0008.txt")));
        Assert.StartsWith("xxx", await File.ReadAllTextAsync(Path.Combine(second.Path, "file-0007.txt")), StringComparison.Ordinal);
        Assert.Equal("", await WorkspaceStatusAsync(second));
        await _manager.RemoveAsync(second);
        Assert.False(Directory.Exists(second.Path));
        Assert.DoesNotContain(await File.ReadAllLinesAsync("/proc/self/mountinfo"), l => l.Contains(_repository.WorkspaceRoot, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_renamed_folder_and_a_folder_deleted_and_made_again_are_committed_whole()
    {
        Directory.CreateDirectory(Path.Combine(_repository.Path, "sub"));
        Directory.CreateDirectory(Path.Combine(_repository.Path, "other"));
        await File.WriteAllTextAsync(Path.Combine(_repository.Path, "sub", "a.txt"), "a\n");
        await File.WriteAllTextAsync(Path.Combine(_repository.Path, "sub", "b.txt"), "b\n");
        await File.WriteAllTextAsync(Path.Combine(_repository.Path, "other", "c.txt"), "c\n");
        _repository.Git("add", "-A");
        _repository.Git("commit", "--quiet", "-m", "folders");
        var workspace = await _manager.CreateAsync(Guid.NewGuid(), 1, _repository.Path, null, CancellationToken.None);

        // A folder of the checkout renamed (the overlay records a redirect), another deleted and made again (opaque).
        Directory.Move(Path.Combine(workspace.Path, "sub"), Path.Combine(workspace.Path, "moved"));
        Directory.Delete(Path.Combine(workspace.Path, "other"), recursive: true);
        await File.WriteAllTextAsync(Path.Combine(Directory.CreateDirectory(Path.Combine(workspace.Path, "other")).FullName, "d.txt"), "d\n");
        var commit = await _manager.CommitAsync(workspace, "folders changed", CancellationToken.None);
        await _manager.RemoveAsync(workspace);

        Assert.Equal(["moved/a.txt", "moved/b.txt", "other/c.txt", "other/d.txt", "sub/a.txt", "sub/b.txt"],
            _repository.Git("diff", "--no-renames", "--name-only", _repository.Git("rev-parse", "HEAD"), commit!.Commit).Split('\n'));
        Assert.Equal(["moved/a.txt", "moved/b.txt", "other/d.txt"],
            _repository.Git("ls-tree", "-r", "--name-only", commit.Commit, "--", "moved", "other", "sub").Split('\n'));
    }

    [Fact]
    public async Task A_stale_overlay_of_a_dead_worker_is_detached_when_a_worker_of_the_same_id_starts()
    {
        var stale = await _manager.CreateAsync(Guid.NewGuid(), 1, _repository.Path, null, CancellationToken.None);

        // A new worker process on the same root and id: the old one's state is gone, its mount is not.
        _ = new WorkspaceManager(_repository.WorkspaceRoot, NullLogger<WorkspaceManager>.Instance,
            layers: new WorkspaceLayers(_repository.WorkspaceRoot, "specs", wanted: true, NullLogger<WorkspaceManager>.Instance));

        Assert.DoesNotContain(await File.ReadAllLinesAsync("/proc/self/mountinfo"), l => l.Contains(stale.Path, StringComparison.Ordinal));
        Assert.False(Directory.Exists(stale.Upper));
    }

    /// <summary>git status of a workspace as the worker reads it: nothing changed, though every inode is the overlay's.</summary>
    static async Task<string> WorkspaceStatusAsync(Workspace workspace)
    {
        var result = await CliWrap.Cli.Wrap("git")
            .WithArguments(["--git-dir=" + workspace.GitDirectory, "--work-tree=" + workspace.Path, "-c", "core.checkStat=minimal", "-c", "core.trustCtime=false",
                "status", "--porcelain"])
            .WithValidation(CliWrap.CommandResultValidation.None)
            .ExecuteBufferedAsync();
        return result.StandardOutput.Trim();
    }
}
