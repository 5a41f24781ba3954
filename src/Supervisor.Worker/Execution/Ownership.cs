using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Supervisor.Worker.Execution;

/// <summary>
/// Changes the owner of a directory tree without following a symbolic link anywhere in it (<c>lchown</c>, and no descent
/// into a link to a directory): a tree an agent wrote can point anywhere, and the worker runs as root.
/// </summary>
static class Ownership
{
    // statx(2): the current directory as dirfd, the fields asked for, and where they sit in struct statx.
    const int AtCurrentDirectory = -100, StatxUid = 0x8, StatxGid = 0x10, UidOffset = 20, GidOffset = 24;

    /// <summary>
    /// Gives <paramref name="directory"/> and everything in it to <paramref name="uid"/>:<paramref name="gid"/>. With
    /// <paramref name="listedBy"/> (an overlay's upper layer mounted at <paramref name="directory"/>), only the entries
    /// that tree holds are changed, each through the mount at its same relative path.
    /// </summary>
    public static void Give(string directory, int uid, int gid, string? listedBy = null)
    {
        Change(directory, uid, gid);
        var walked = listedBy ?? directory;
        var pending = new Stack<string>();
        pending.Push(walked);
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = FileAttributes.None, IgnoreInaccessible = false };
        while (pending.TryPop(out var current))
        {
            foreach (var entry in new DirectoryInfo(current).EnumerateFileSystemInfos("*", options))
            {
                Change(listedBy is null ? entry.FullName : Path.Join(directory, Path.GetRelativePath(walked, entry.FullName)), uid, gid);
                if (entry is DirectoryInfo && entry.LinkTarget is null)
                    pending.Push(entry.FullName);
            }
        }
    }

    /// <summary>
    /// The owner and group of <paramref name="path"/> (links followed), or null when it cannot be read. .NET has no public
    /// API for them; <c>statx</c>'s structure is the same on every architecture (the kernel's ABI), unlike <c>stat</c>'s.
    /// </summary>
    public static (long Uid, long Gid)? Of(string path)
    {
        var buffer = Marshal.AllocHGlobal(256);
        try
        {
            if (statx(AtCurrentDirectory, path, 0, StatxUid | StatxGid, buffer) != 0)
                return null;
            return ((uint)Marshal.ReadInt32(buffer, UidOffset), (uint)Marshal.ReadInt32(buffer, GidOffset));
        }
        finally
        {
            Marshal.FreeHGlobal(buffer);
        }
    }

    static void Change(string path, int uid, int gid)
    {
        if (lchown(path, uid, gid) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            // ENOENT: removed meanwhile (a git lock file, say): nothing left to own.
            if (error != 2)
                throw new IOException($"cannot give '{path}' to uid {uid}: {new Win32Exception(error).Message}");
        }
    }

    [DllImport("libc", SetLastError = true)]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Globalization", "CA2101", Justification = "The string is marshalled as UTF-8 by its MarshalAs, which CA2101 does not recognise.")]
    static extern int lchown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int owner, int group);

    [DllImport("libc", SetLastError = true)]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Globalization", "CA2101", Justification = "The string is marshalled as UTF-8 by its MarshalAs, which CA2101 does not recognise.")]
    static extern int statx(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mask, IntPtr buffer);
}
