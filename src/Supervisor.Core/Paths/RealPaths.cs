namespace Supervisor.Paths;

/// <summary>
/// A path as the kernel would walk it: every symbolic link along it followed, however many hops, and each <c>..</c> taken
/// from where the links led (not struck out of the text first). What does not exist is kept as written. Used to tell
/// whether a repository lies under an allowed root: a link must not lead out of one. The service checks a submission
/// with it and the worker checks again before it makes a worktree (the filesystem may have changed in between, and a
/// job may come from elsewhere than the service).
/// </summary>
public static class RealPaths
{
    /// <summary>Links followed before giving up, as Linux does (ELOOP).</summary>
    const int MaxHops = 40;

    /// <summary>The real path of the absolute <paramref name="path"/>; null when its links loop or go on for more than 40 hops.</summary>
    public static string? Resolve(string path)
    {
        if (!Path.IsPathFullyQualified(path))
            throw new ArgumentException($"'{path}' is not an absolute path.", nameof(path));
        var remaining = new LinkedList<string>(Parts(path));
        var resolved = "/";
        var hops = 0;
        while (remaining.First is { } first)
        {
            remaining.RemoveFirst();
            var part = first.Value;
            if (part == ".")
                continue;
            if (part == "..")
            {
                resolved = Path.GetDirectoryName(resolved) ?? "/";
                continue;
            }

            var next = Path.Join(resolved, part);
            string? target;
            try
            {
                target = new FileInfo(next).LinkTarget;
            }
            catch (IOException)
            {
                target = null;
            }

            if (target is null)
            {
                resolved = next;
                continue;
            }

            if (++hops > MaxHops)
                return null;
            // The link's target, then what followed the link; an absolute target starts again from the root.
            foreach (var targetPart in Parts(target).Reverse())
                remaining.AddFirst(targetPart);
            if (Path.IsPathRooted(target))
                resolved = "/";
        }

        return resolved;
    }

    /// <summary>
    /// The real path of the absolute <paramref name="path"/> when it lies under one of <paramref name="roots"/> (absolute
    /// paths, resolved here too); null when it does not, or its links loop. No roots means any path: then the real path,
    /// or the path as given when its links loop (whatever uses it will find nothing there).
    /// </summary>
    public static string? UnderAllowedRoot(string path, IReadOnlyCollection<string> roots)
    {
        var real = Resolve(path);
        if (roots.Count == 0)
            return real ?? path;
        return real is not null && roots.Select(root => Resolve(Path.GetFullPath(root))).OfType<string>().Any(root => IsUnder(real, root))
            ? real
            : null;
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="root"/> or inside it (both real paths).</summary>
    public static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(root == "/" ? root : root + "/", StringComparison.Ordinal);

    static string[] Parts(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);
}
