namespace Supervisor.Worker.Workspaces;

static class DirectoryRemover
{
    const UnixFileMode OwnerAll = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Deletes <paramref name="path"/> recursively, if it exists.</summary>
    public static void Remove(string path)
    {
        if (!Directory.Exists(path))
        {
            return;
        }

        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException && !OperatingSystem.IsWindows())
        {
            // An agent may leave directories it made read-only (module caches do); deleting their entries needs
            // write permission on the directory itself.
            MakeWritable(new DirectoryInfo(path));
            Directory.Delete(path, recursive: true);
        }
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    static void MakeWritable(DirectoryInfo directory)
    {
        // Before listing: a directory without read or execute permission cannot be listed either.
        directory.UnixFileMode |= OwnerAll;
        foreach (var child in directory.EnumerateDirectories())
        {
            // Never through a symbolic link: its target lies outside the workspace.
            if (child.LinkTarget is null)
            {
                MakeWritable(child);
            }
        }
    }
}
