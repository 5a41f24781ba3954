namespace Supervisor.Worker.Workspaces;

/// <summary>
/// Git on an attempt's workspace after its agent had it: everything in the workspace is the agent's, so nothing git
/// would read from there decides what git runs. The repository metadata is the worktree's git directory recorded when the
/// worktree was made (<c>--git-dir</c>, <c>--work-tree</c>: a <c>.git</c> file or directory the agent rewrote is never
/// read); system and global configuration are off (a sandboxed agent always has the attempt's own HOME, but with the
/// sandbox off it runs as the worker and may share the worker's HOME, .gitconfig included); and on the command line,
/// which outranks the repository's configuration: no hooks, no fsmonitor, no untracked cache, no submodule recursion,
/// no background maintenance, and every filter driver the repository defines turned into no filter (a planted
/// <c>.gitattributes</c> can only name filters the configuration defines).
/// </summary>
sealed class WorkspaceGit
{
    static readonly IReadOnlyDictionary<string, string?> ConfigFilesOff = new Dictionary<string, string?>(GitCli.BaseEnvironment, StringComparer.Ordinal)
    {
        ["GIT_CONFIG_NOSYSTEM"] = "1",
        ["GIT_CONFIG_GLOBAL"] = "/dev/null",
    };

    readonly IReadOnlyDictionary<string, string?> _environment;
    readonly bool _overlay;

    WorkspaceGit(string gitDirectory, string workTree, IReadOnlyDictionary<string, string?> environment, bool overlay)
    {
        GitDirectory = gitDirectory;
        WorkTree = workTree;
        _environment = environment;
        _overlay = overlay;
    }

    public string GitDirectory { get; }

    public string WorkTree { get; }

    /// <summary>
    /// Git for the workspace at <paramref name="workTree"/> whose git directory is <paramref name="gitDirectory"/>. Every
    /// command turns off the filters the configuration defines (read now): not only <c>add</c> hashes files, <c>commit</c>
    /// does too when it refreshes the index. With <paramref name="overlay"/>, the workspace is a copy-on-write overlay
    /// (<see cref="WorkspaceLayers"/>) whose index was written for the shared checkout: its entries are compared by size and
    /// mtime only, which the overlay keeps, not by inode and ctime.
    /// </summary>
    public static async Task<WorkspaceGit> OpenAsync(string gitDirectory, string workTree, CancellationToken ct, bool overlay = false)
    {
        var git = new WorkspaceGit(gitDirectory, workTree, ConfigFilesOff, overlay);
        var overrides = await git.FilterOverridesAsync(ct);
        var environment = new Dictionary<string, string?>(ConfigFilesOff, StringComparer.Ordinal)
        {
            // GIT_CONFIG_COUNT rather than -c: a filter's name may hold any character, '=' included, which -c would split on.
            ["GIT_CONFIG_COUNT"] = overrides.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        for (var i = 0; i < overrides.Count; i++)
        {
            environment[$"GIT_CONFIG_KEY_{i}"] = overrides[i].Key;
            environment[$"GIT_CONFIG_VALUE_{i}"] = overrides[i].Value;
        }

        return new WorkspaceGit(gitDirectory, workTree, environment, overlay);
    }

    /// <summary>The guards before each subcommand.</summary>
    string[] Guards() =>
    [
        "--git-dir=" + GitDirectory, "--work-tree=" + WorkTree,
        "-c", "core.hooksPath=/dev/null",
        "-c", "core.fsmonitor=false",
        "-c", "core.untrackedCache=false",
        "-c", "submodule.recurse=false",
        "-c", "gc.auto=0",
        "-c", "maintenance.auto=false",
        "-c", "commit.gpgsign=false",
        .. _overlay ? (string[])["-c", "core.checkStat=minimal", "-c", "core.trustCtime=false"] : [],
    ];

    public Task<GitResult> RunAsync(IEnumerable<string> arguments, CancellationToken ct) =>
        GitCli.RunAsync(Directory.Exists(WorkTree) ? WorkTree : GitDirectory, [.. Guards(), .. arguments], _environment, ct);

    /// <summary>
    /// <c>git add -A</c> of whatever the agent left, byte for byte (no filter driver runs: none could be trusted with
    /// content the agent chose), and repositories the agent nested in the workspace are recorded by their HEAD without
    /// git running <c>git status</c> inside them (that child would read their configuration, fsmonitor and filters
    /// included); <c>diff.ignoreSubmodules=all</c> only stops that look inside, the new HEAD is still staged.
    /// </summary>
    /// <param name="paths">
    /// When known, the only paths that may have changed (relative to the work tree, taken literally); git then looks at
    /// nothing else. Null: the whole work tree.
    /// </param>
    /// <param name="ct">Cancels the add.</param>
    public async Task<GitResult> AddAllAsync(IReadOnlyCollection<string>? paths, CancellationToken ct)
    {
        if (paths is null)
            return await RunAsync(["-c", "diff.ignoreSubmodules=all", "add", "-A"], ct);
        // In the git directory, the worker's own: the list may be longer than a command line.
        var list = Path.Combine(GitDirectory, "supervisor-pathspec");
        await File.WriteAllTextAsync(list, string.Join('\0', paths), ct);
        try
        {
            return await RunAsync(["--literal-pathspecs", "-c", "diff.ignoreSubmodules=all", "add", "-A", "--pathspec-from-file=" + list, "--pathspec-file-nul"], ct);
        }
        finally
        {
            File.Delete(list);
        }
    }

    /// <summary>
    /// For every filter the configuration git reads here defines: empty clean, smudge and process commands (git then
    /// runs none and keeps the content) and <c>required=false</c> (an empty required filter would fail the add).
    /// </summary>
    async Task<IReadOnlyList<KeyValuePair<string, string>>> FilterOverridesAsync(CancellationToken ct)
    {
        var listed = await RunAsync(["config", "--null", "--name-only", "--get-regexp", @"^filter\."], ct);
        var overrides = new List<KeyValuePair<string, string>>();
        // Exit 1 means no such key; anything else is a failure the add itself will report.
        if (!listed.Succeeded)
        {
            return overrides;
        }

        var names = listed.Output.Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Where(key => key.LastIndexOf('.') > "filter.".Length)
            .Select(key => key["filter.".Length..key.LastIndexOf('.')])
            .Distinct(StringComparer.Ordinal);
        foreach (var name in names)
        {
            overrides.Add(new($"filter.{name}.clean", ""));
            overrides.Add(new($"filter.{name}.smudge", ""));
            overrides.Add(new($"filter.{name}.process", ""));
            overrides.Add(new($"filter.{name}.required", "false"));
        }

        return overrides;
    }
}
