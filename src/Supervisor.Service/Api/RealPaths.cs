namespace Supervisor.Service.Api;

/// <summary>
/// A path as the kernel would walk it: every symbolic link along it followed, however many hops, and each <c>..</c> taken
/// from where the links led (not struck out of the text first). What does not exist is kept as written. Used to tell
/// whether a repository lies under an allowed root: a link must not lead out of one.
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

    /// <summary>Whether <paramref name="path"/> is <paramref name="root"/> or inside it (both real paths).</summary>
    public static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(root == "/" ? root : root + "/", StringComparison.Ordinal);

    static string[] Parts(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);
}
