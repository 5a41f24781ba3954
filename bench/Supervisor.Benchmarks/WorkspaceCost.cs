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
/// worktree add) and remove it again, against a plain <c>git clone</c> of the same remote, and the disk each takes.
/// </summary>
static class WorkspaceCost
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var files = args.Int("files", 50_000);
        var n = args.Int("n", 20);
        var root = Directory.CreateTempSubdirectory("supervisor-bench-workspace-").FullName;
        try
        {
            var remote = await GenerateAsync(root, files);
            var manager = new WorkspaceManager(Path.Combine(root, "workspaces"), NullLogger<WorkspaceManager>.Instance);
            var spec = new RepositorySpec(null, "file://" + remote, null);
            // The first attempt clones the mirror; the ones measured find it warm, as on a worker that has run before.
            await manager.RemoveAsync(await manager.CreateAsync(Guid.NewGuid(), 1, spec, CancellationToken.None));

            var prepare = new List<double>();
            var remove = new List<double>();
            long workspaceBytes = 0;
            for (var i = 0; i < n; i++)
            {
                var clock = Stopwatch.StartNew();
                var workspace = await manager.CreateAsync(Guid.NewGuid(), 1, spec, CancellationToken.None);
                prepare.Add(clock.Elapsed.TotalMilliseconds);
                // The worktree's files and its entry in the mirror (its index and HEAD): what the attempt adds to the disk.
                workspaceBytes = await DiskBytesAsync(workspace.Path) + await DiskBytesAsync(workspace.GitDirectory!);
                clock.Restart();
                await manager.RemoveAsync(workspace);
                remove.Add(clock.Elapsed.TotalMilliseconds);
            }

            var clone = new List<double>();
            long cloneBytes = 0;
            for (var i = 0; i < Math.Min(n, 10); i++)
            {
                var target = Path.Combine(root, $"clone-{i}");
                var clock = Stopwatch.StartNew();
                await GitAsync(root, "clone", "--quiet", "file://" + remote, target);
                clone.Add(clock.Elapsed.TotalMilliseconds);
                cloneBytes = await DiskBytesAsync(target);
                Directory.Delete(target, recursive: true);
            }

            prepare.Sort();
            remove.Sort();
            clone.Sort();
            BenchArgs.Result("workspace.files", files);
            BenchArgs.Result("workspace.prepare_p50_ms", Percentiles.Of(prepare, 50));
            BenchArgs.Result("workspace.prepare_p95_ms", Percentiles.Of(prepare, 95));
            BenchArgs.Result("workspace.remove_p50_ms", Percentiles.Of(remove, 50));
            BenchArgs.Result("workspace.clone_p50_ms", Percentiles.Of(clone, 50));
            BenchArgs.Result("workspace.clone_p95_ms", Percentiles.Of(clone, 95));
            BenchArgs.Result("workspace.disk_mb", workspaceBytes / 1048576.0);
            BenchArgs.Result("workspace.clone_disk_mb", cloneBytes / 1048576.0);
            return 0;
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
