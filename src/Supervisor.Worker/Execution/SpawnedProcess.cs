using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Supervisor.Worker.Execution;

/// <summary>
/// A program started by <c>posix_spawn</c> in a session of its own (<c>POSIX_SPAWN_SETSID</c>), so that its pid is also
/// its process group id and everything it starts can be killed with the group. <see cref="System.Diagnostics.Process"/>
/// cannot do that by itself: it took a <c>setsid</c> program exec'd in front of every agent, and an exec is the largest
/// cost of a short attempt (docs/benchmarks.md). stdin, stdout and stderr are pipes; the program starts with every
/// signal at its default and none blocked, whatever this process ignores or blocks.
/// </summary>
sealed class SpawnedProcess : IDisposable
{
    // Bound on whichever thread comes first, before any start: a start as an agent's user calls posix_spawn from a thread
    // that holds that user's credentials, which should load nothing (AgentUserThread).
    static SpawnedProcess() => Marshal.PrelinkAll(typeof(Native));

    SpawnedProcess(int id, Stream standardInput, Stream standardOutput, Stream standardError)
    {
        Id = id;
        StandardInput = standardInput;
        StandardOutput = standardOutput;
        StandardError = standardError;
        Exited = WaitForExitAsync(id);
    }

    public int Id { get; }

    public Stream StandardInput { get; }

    public Stream StandardOutput { get; }

    public Stream StandardError { get; }

    /// <summary>The exit code (128 + the signal for a program a signal ended, as a shell reports it), or null when it cannot be known.</summary>
    public Task<int?> Exited { get; }

    /// <summary>
    /// Starts <paramref name="executable"/> in a session of its own, as the worker, or as the agent user id
    /// <paramref name="asUser"/> from a thread that takes it (<see cref="AgentUserThread"/>).
    /// </summary>
    /// <exception cref="Win32Exception">The program could not be started; the message says why.</exception>
    public static SpawnedProcess Start(string executable, IEnumerable<string> arguments, string workingDirectory,
        IEnumerable<KeyValuePair<string, string>> environment, int? asUser = null)
    {
        var input = Pipe();
        var output = Pipe();
        var error = Pipe();
        var argv = NullTerminated([executable, .. arguments]);
        var envp = NullTerminated(environment.Select(e => $"{e.Key}={e.Value}"));
        // Opaque glibc structures (80, 336 and 128 bytes on x86-64 and arm64), given room to spare.
        var actions = Marshal.AllocHGlobal(512);
        var attributes = Marshal.AllocHGlobal(1024);
        var signals = Marshal.AllocHGlobal(256);
        var started = false;
        try
        {
            Check(Native.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            Check(Native.posix_spawnattr_init(attributes), "posix_spawnattr_init");
            try
            {
                Check(Native.posix_spawn_file_actions_adddup2(actions, input.Read, 0), "stdin");
                Check(Native.posix_spawn_file_actions_adddup2(actions, output.Write, 1), "stdout");
                Check(Native.posix_spawn_file_actions_adddup2(actions, error.Write, 2), "stderr");
                Check(Native.posix_spawn_file_actions_addchdir_np(actions, workingDirectory), "working directory");
                Check(Native.posix_spawnattr_setflags(attributes, Native.SetSid | Native.SetSigMask | Native.SetSigDef), "flags");
                _ = Native.sigemptyset(signals);
                Check(Native.posix_spawnattr_setsigmask(attributes, signals), "signal mask");
                _ = Native.sigfillset(signals);
                Check(Native.posix_spawnattr_setsigdefault(attributes, signals), "signal defaults");

                int result, pid = 0;
                if (asUser is { } uid)
                {
                    var spawned = -1;
                    if (AgentUserThread.Run(uid, () => spawned = Native.posix_spawn(out pid, executable, actions, attributes, argv, envp)) is { } problem)
                        throw new Win32Exception(1, $"cannot start as agent user id {uid}: {problem}");
                    result = spawned;
                }
                else
                {
                    result = Native.posix_spawn(out pid, executable, actions, attributes, argv, envp);
                }

                if (result != 0)
                    throw new Win32Exception(result);
                started = true;
                return new SpawnedProcess(pid, Open(input.Write, PipeDirection.Out), Open(output.Read, PipeDirection.In), Open(error.Read, PipeDirection.In));
            }
            finally
            {
                _ = Native.posix_spawnattr_destroy(attributes);
                _ = Native.posix_spawn_file_actions_destroy(actions);
            }
        }
        finally
        {
            // The child's ends are its own now (or nobody's); the parent's ends belong to the streams, or are closed here.
            _ = Native.close(input.Read);
            _ = Native.close(output.Write);
            _ = Native.close(error.Write);
            if (!started)
            {
                _ = Native.close(input.Write);
                _ = Native.close(output.Read);
                _ = Native.close(error.Read);
            }

            Free(argv);
            Free(envp);
            Marshal.FreeHGlobal(actions);
            Marshal.FreeHGlobal(attributes);
            Marshal.FreeHGlobal(signals);
        }
    }

    public void Dispose()
    {
        StandardInput.Dispose();
        StandardOutput.Dispose();
        StandardError.Dispose();
    }

    /// <summary>A thread of its own blocks in waitpid until the program ends: the runtime reaps only the children it started itself.</summary>
    static Task<int?> WaitForExitAsync(int pid)
    {
        var exited = new TaskCompletionSource<int?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiter = new Thread(() =>
        {
            while (true)
            {
                if (Native.waitpid(pid, out var status, 0) == pid)
                {
                    var signal = status & 0x7f;
                    exited.SetResult(signal == 0 ? (status >> 8) & 0xff : 128 + signal);
                    return;
                }

                if (Marshal.GetLastPInvokeError() != Native.EIntr)
                {
                    // ECHILD: something else reaped it (a parent that ignores SIGCHLD makes the runtime reap every child).
                    exited.SetResult(null);
                    return;
                }
            }
        }, maxStackSize: 128 * 1024)
        {
            IsBackground = true,
            Name = $"waitpid {pid}",
        };
        waiter.Start();
        return exited.Task;
    }

    static (int Read, int Write) Pipe()
    {
        var fds = new int[2];
        if (Native.pipe2(fds, Native.CloseOnExec) != 0)
            throw new Win32Exception(Marshal.GetLastPInvokeError());
        return (fds[0], fds[1]);
    }

    static AnonymousPipeClientStream Open(int fd, PipeDirection direction) =>
        new AnonymousPipeClientStream(direction, new SafePipeHandle(fd, ownsHandle: true));

    static IntPtr[] NullTerminated(IEnumerable<string> values) =>
        [.. values.Select(Marshal.StringToCoTaskMemUTF8), IntPtr.Zero];

    static void Free(IntPtr[] strings)
    {
        foreach (var s in strings)
            Marshal.FreeCoTaskMem(s);
    }

    static void Check(int result, string what)
    {
        if (result != 0)
            throw new Win32Exception(result, $"posix_spawn ({what}): {new Win32Exception(result).Message}");
    }

    static class Native
    {
        // glibc's values (spawn.h, fcntl.h, errno.h); the worker runs on Linux.
        internal const short SetSigDef = 0x04;
        internal const short SetSigMask = 0x08;
        internal const short SetSid = 0x80;
        internal const int CloseOnExec = 0x80000;
        internal const int EIntr = 4;

        [DllImport("libc", SetLastError = true)]
        internal static extern int pipe2(int[] fds, int flags);

        [DllImport("libc")]
        internal static extern int close(int fd);

        [DllImport("libc", SetLastError = true)]
        internal static extern int waitpid(int pid, out int status, int options);

        [DllImport("libc")]
        internal static extern int sigemptyset(IntPtr set);

        [DllImport("libc")]
        internal static extern int sigfillset(IntPtr set);

        [DllImport("libc")]
        internal static extern int posix_spawn_file_actions_init(IntPtr actions);

        [DllImport("libc")]
        internal static extern int posix_spawn_file_actions_destroy(IntPtr actions);

        [DllImport("libc")]
        internal static extern int posix_spawn_file_actions_adddup2(IntPtr actions, int fd, int newFd);

        [DllImport("libc")]
        [SuppressMessage("Globalization", "CA2101", Justification = "The string is marshalled as UTF-8 by its MarshalAs, which CA2101 does not recognise.")]
        internal static extern int posix_spawn_file_actions_addchdir_np(IntPtr actions, [MarshalAs(UnmanagedType.LPUTF8Str)] string path);

        [DllImport("libc")]
        internal static extern int posix_spawnattr_init(IntPtr attributes);

        [DllImport("libc")]
        internal static extern int posix_spawnattr_destroy(IntPtr attributes);

        [DllImport("libc")]
        internal static extern int posix_spawnattr_setflags(IntPtr attributes, short flags);

        [DllImport("libc")]
        internal static extern int posix_spawnattr_setsigmask(IntPtr attributes, IntPtr signals);

        [DllImport("libc")]
        internal static extern int posix_spawnattr_setsigdefault(IntPtr attributes, IntPtr signals);

        [DllImport("libc")]
        [SuppressMessage("Globalization", "CA2101", Justification = "The string is marshalled as UTF-8 by its MarshalAs, which CA2101 does not recognise.")]
        internal static extern int posix_spawn(out int pid, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr actions, IntPtr attributes,
            IntPtr[] argv, IntPtr[] envp);
    }
}
