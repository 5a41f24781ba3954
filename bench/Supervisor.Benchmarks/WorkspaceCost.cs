using System.Diagnostics;
using System.Globalization;
using CliWrap;
using CliWrap.Buffered;
using Microsoft.Extensions.Logging.Abstractions;
using Supervisor.Contracts;
using Supervisor.Worker.Workspaces;

namespace Supervisor.Benchmarks;

/// <summary>
/// What an attempt's workspace costs on a large repository: a generated repository of <c>--files</c> files (a bare copy
/// stands for the remote, reached over <c>file://</c>), the worker's mirror warmed by one attempt, then <c>--n</c>
/// attempts that each get their workspace the way a worker does (<see cref="WorkspaceManager"/>: fetch into the mirror,
/// a copy-on-write worktree where the machine allows it), change one file, commit and remove it, against a plain
/// <c>git clone</c> of the same remote, and the disk each takes; then the same attempts on <c>--small</c> files.
/// </summary>
static class WorkspaceCost
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var files = args.Int("files", 50_000);
        var small = args.Int("small", 1_000);
        var n = args.Int("n", 20);
        var large = await MeasureAsync(files, n, clones: true);
        var baseline = await MeasureAsync(small, n, clones: false);
        BenchArgs.Result("workspace.files", files);
        BenchArgs.Result("workspace.copy_on_write", large.CopyOnWrite ? 1 : 0);
        BenchArgs.Result("workspace.prepare_p50_ms", Percentiles.Of(large.Prepare, 50));
        BenchArgs.Result("workspace.prepare_p95_ms", Percentiles.Of(large.Prepare, 95));
        BenchArgs.Result("workspace.commit_p50_ms", Percentiles.Of(large.Commit, 50));
        BenchArgs.Result("workspace.remove_p50_ms", Percentiles.Of(large.Remove, 50));
        BenchArgs.Result("workspace.attempt_p50_ms", Percentiles.Of(large.Attempt, 50));
        BenchArgs.Result("workspace.small_files", small);
        BenchArgs.Result("workspace.small_prepare_p50_ms", Percentiles.Of(baseline.Prepare, 50));
        BenchArgs.Result("workspace.small_commit_p50_ms", Percentiles.Of(baseline.Commit, 50));
        BenchArgs.Result("workspace.small_attempt_p50_ms", Percentiles.Of(baseline.Attempt, 50));
        // The workspace itself (made and removed) on the large repository as a multiple of the small one; the commit,
        // which reads every file's metadata, apart.
        BenchArgs.Result("workspace.prepare_ratio",
            (Percentiles.Of(large.Prepare, 50) + Percentiles.Of(large.Remove, 50)) / (Percentiles.Of(baseline.Prepare, 50) + Percentiles.Of(baseline.Remove, 50)));
        BenchArgs.Result("workspace.attempt_ratio", Percentiles.Of(large.Attempt, 50) / Percentiles.Of(baseline.Attempt, 50));
        BenchArgs.Result("workspace.clone_p50_ms", Percentiles.Of(large.Clones, 50));
        BenchArgs.Result("workspace.clone_p95_ms", Percentiles.Of(large.Clones, 95));
        BenchArgs.Result("workspace.disk_mb", large.DiskBytes / 1048576.0);
        BenchArgs.Result("workspace.clone_disk_mb", large.CloneBytes / 1048576.0);
        return 0;
    }

    sealed record Figures(bool CopyOnWrite, List<double> Prepare, List<double> Commit, List<double> Remove, List<double> Attempt, List<double> Clones,
        long DiskBytes, long CloneBytes);

    /// <summary>
    /// <paramref name="n"/> attempts on a repository of <paramref name="files"/> files, each as a worker runs one: its
    /// workspace made, one file changed (as an agent would), committed, removed. Sorted timings, and the disk one attempt
    /// took with its change in place.
    /// </summary>
    static async Task<Figures> MeasureAsync(int files, int n, bool clones)
    {
        var root = Directory.CreateTempSubdirectory("supervisor-bench-workspace-").FullName;
        var workspaces = Path.Combine(root, "workspaces");
        // As a worker makes them: copy-on-write where this machine allows it (root, overlayfs), else plain worktrees.
        var layers = new WorkspaceLayers(workspaces, "bench", wanted: true, NullLogger<WorkspaceManager>.Instance);
        var manager = new WorkspaceManager(workspaces, NullLogger<WorkspaceManager>.Instance, layers: layers);
        try
        {
            var remote = await GenerateAsync(root, files);
            var spec = new RepositorySpec(null, "file://" + remote, null);
            // The first attempt clones the mirror; the ones measured find it warm, as on a worker that has run before.
            await manager.RemoveAsync(await manager.CreateAsync(Guid.NewGuid(), 1, spec, CancellationToken.None));

            List<double> prepare = [], commit = [], remove = [], attempt = [], clone = [];
            long workspaceBytes = 0;
            for (var i = 0; i < n; i++)
            {
                var whole = Stopwatch.StartNew();
                var clock = Stopwatch.StartNew();
                var workspace = await manager.CreateAsync(Guid.NewGuid(), 1, spec, CancellationToken.None);
                prepare.Add(clock.Elapsed.TotalMilliseconds);
                await File.AppendAllTextAsync(Path.Combine(workspace.Path, "dir7", "file7.txt"), "changed by the attempt\n");
                // What the attempt adds to the disk: its layer (copy-on-write) or its whole worktree, and its entry in the mirror.
                workspaceBytes = await DiskBytesAsync(workspace.Upper ?? workspace.Path) + await DiskBytesAsync(workspace.GitDirectory!);
                clock.Restart();
                await manager.CommitAsync(workspace, "bench", CancellationToken.None);
                commit.Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                await manager.RemoveAsync(workspace);
                remove.Add(clock.Elapsed.TotalMilliseconds);
                attempt.Add(whole.Elapsed.TotalMilliseconds);
            }

            long cloneBytes = 0;
            for (var i = 0; clones && i < Math.Min(n, 10); i++)
            {
                var target = Path.Combine(root, $"clone-{i}");
                var clock = Stopwatch.StartNew();
                await GitAsync(root, "clone", "--quiet", "file://" + remote, target);
                clone.Add(clock.Elapsed.TotalMilliseconds);
                cloneBytes = await DiskBytesAsync(target);
                Directory.Delete(target, recursive: true);
            }

            foreach (var list in new[] { prepare, commit, remove, attempt, clone })
                list.Sort();
            return new Figures(layers.Available, prepare, commit, remove, attempt, clone, workspaceBytes, cloneBytes);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>A repository of <paramref name="files"/> small files in 100 folders, one commit, written by <c>git fast-import</c>; returns its bare copy.</summary>
    static async Task<string> GenerateAsync(string root, int files)
    {
        var source = Path.Combine(root, "source.git");
        await GitAsync(root, "init", "--quiet", "--bare", source);
        var stream = new System.Text.StringBuilder();
        stream.Append("commit refs/heads/main\ncommitter bench <bench@localhost> 1700000000 +0000\ndata 9\ngenerated\n");
        for (var i = 0; i < files; i++)
        {
            var content = string.Create(CultureInfo.InvariantCulture, $"file {i}\nline two of file {i}\n");
            stream.Append(CultureInfo.InvariantCulture, $"M 100644 inline dir{i % 100}/file{i}.txt\ndata {System.Text.Encoding.UTF8.GetByteCount(content)}\n{content}\n");
        }

        await Cli.Wrap("git").WithArguments(["--git-dir=" + source, "fast-import", "--quiet"]).WithStandardInputPipe(PipeSource.FromString(stream.ToString()))
            .ExecuteBufferedAsync();
        await GitAsync(root, "--git-dir=" + source, "symbolic-ref", "HEAD", "refs/heads/main");
        return source;
    }

    static async Task GitAsync(string directory, params string[] arguments) =>
        await Cli.Wrap("git").WithArguments(arguments).WithWorkingDirectory(directory).ExecuteBufferedAsync();

    /// <summary>Disk used (allocated blocks, as <c>du</c> counts) by the files under <paramref name="path"/>.</summary>
    static async Task<long> DiskBytesAsync(string path) =>
        long.Parse((await Cli.Wrap("du").WithArguments(["-sk", path]).ExecuteBufferedAsync()).StandardOutput.Split('\t')[0], CultureInfo.InvariantCulture) * 1024;
}
