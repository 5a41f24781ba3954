using System.Runtime.InteropServices;

namespace Supervisor.Worker.Execution;

/// <summary>
/// What is done as an attempt's user, done by a thread of the worker's own instead of a program started for it: the
/// thread takes the uid and gid, no supplementary group, no capability and no new privileges (what <c>setpriv</c> does
/// for a program), then kills every process of the uid or starts the agent, then ends, and its credentials with it. Linux
/// keeps credentials per thread; <c>setresuid</c> and its kin, made as raw system calls (glibc's wrappers change every
/// thread of the process), change the calling thread's only, and a child it starts is born with them.
/// </summary>
/// <remarks>
/// <para>Starting <c>setpriv … sh -c "kill -KILL -1"</c> per kill, three kills per attempt, and <c>setpriv</c> in front of
/// every agent, cost about 49 ms of a worker's CPU per attempt on this machine (docs/benchmarks.md). Where the raw system
/// calls' numbers are not known (neither x64 nor arm64), that is still how it is done.</para>
/// <para>Before it acts, the thread checks that it holds the uid and gid and no capability: a <c>kill(-1)</c> sent, or a
/// program started, with root's credentials would reach every process of the machine or run the agent as root.</para>
/// </remarks>
static class AgentUserThread
{
    /// <summary>Whether this machine's architecture is one whose system call numbers are known here.</summary>
    public static bool Supported => Calls is not null;

    sealed record SystemCalls(long SetGroups, long SetResUid, long GetResUid, long SetResGid, long GetResGid);

    static readonly SystemCalls? Calls = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => new(116, 117, 118, 119, 120),
        Architecture.Arm64 => new(159, 147, 148, 149, 150),
        _ => null,
    };

    const int LinuxCapabilityVersion3 = 0x20080522, SetNoNewPrivileges = 38, NoSuchProcess = 3;

    static AgentUserThread()
    {
        // Bound now, on a root thread: the thread that takes the uid loads no library and opens no file, as it could not,
        // or would as the uid.
        if (Calls is not null)
            Marshal.PrelinkAll(typeof(AgentUserThread));
    }

    /// <summary>Kills every process running as <paramref name="uid"/>, atomically with respect to fork (<c>kill(-1)</c>).</summary>
    /// <exception cref="InvalidOperationException">The kill could not be made safely; the uid's processes may live on.</exception>
    public static void KillAll(int uid)
    {
        var error = 0;
        if (Run(uid, () => error = Kill(-1, NativeMethods.SigKill) == 0 ? 0 : Marshal.GetLastPInvokeError()) is { } problem)
            throw new InvalidOperationException($"could not kill the processes of agent user id {uid}: {problem}");
        if (error is not 0 and not NoSuchProcess)
            throw new InvalidOperationException($"could not kill the processes of agent user id {uid}: kill(-1) failed with errno {error}");
    }

    /// <summary>
    /// Runs <paramref name="action"/> on a new thread that holds <paramref name="uid"/> (and the gid of the same number)
    /// and nothing more, and waits for it. The action must not throw, load anything or touch a file: it runs as the uid.
    /// </summary>
    /// <returns>Why the thread could not take the uid (the action did not run), or null once the action ran.</returns>
    public static string? Run(int uid, Action action)
    {
        if (Calls is not { } calls)
            throw new PlatformNotSupportedException($"no known setresuid system call on {RuntimeInformation.ProcessArchitecture}");
        if (uid <= 0)
            throw new ArgumentOutOfRangeException(nameof(uid), uid, "only an agent's user id may be taken, never root's");
        string? problem = null;
        // A thread of its own, never one of the pool: it ends as the uid and must run nothing else.
        var thread = new Thread(() =>
        {
            problem = Take(calls, uid);
            if (problem is null)
                action();
        }, maxStackSize: 256 * 1024)
        { IsBackground = true, Name = "agent-user" };
        thread.Start();
        thread.Join();
        return problem;
    }

    /// <summary>Runs on the thread: drops to the uid for good, then checks that nothing of root is left.</summary>
    static string? Take(SystemCalls calls, int uid)
    {
        if (SysCall(calls.SetGroups, 0, 0, 0) != 0)
            return $"setgroups(0) failed with errno {Marshal.GetLastPInvokeError()}";
        if (SysCall(calls.SetResGid, uid, uid, uid) != 0)
            return $"setresgid({uid}) failed with errno {Marshal.GetLastPInvokeError()}";
        if (SysCall(calls.SetResUid, uid, uid, uid) != 0)
            return $"setresuid({uid}) failed with errno {Marshal.GetLastPInvokeError()}";
        if (PrCtl(SetNoNewPrivileges, 1, 0, 0, 0) != 0)
            return $"prctl(PR_SET_NO_NEW_PRIVS) failed with errno {Marshal.GetLastPInvokeError()}";
        var header = new CapHeader { Version = LinuxCapabilityVersion3, Pid = 0 };
        var none = new CapData[2];
        if (CapSet(ref header, none) != 0)
            return $"capset(none) failed with errno {Marshal.GetLastPInvokeError()}";

        if (GetRes(calls.GetResUid, out var realUid, out var effectiveUid, out var savedUid) != 0 || realUid != uid || effectiveUid != uid || savedUid != uid)
            return $"the thread does not hold the uid (real {realUid}, effective {effectiveUid}, saved {savedUid})";
        if (GetRes(calls.GetResGid, out var realGid, out var effectiveGid, out var savedGid) != 0 || realGid != uid || effectiveGid != uid || savedGid != uid)
            return $"the thread does not hold the gid (real {realGid}, effective {effectiveGid}, saved {savedGid})";
        var held = new CapData[2];
        header = new CapHeader { Version = LinuxCapabilityVersion3, Pid = 0 };
        if (CapGet(ref header, held) != 0)
            return $"capget failed with errno {Marshal.GetLastPInvokeError()}";
        foreach (var set in held)
        {
            if (set.Effective != 0 || set.Permitted != 0 || set.Inheritable != 0)
                return "the thread kept capabilities after taking the uid";
        }

        return null;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct CapHeader
    {
        public uint Version;
        public int Pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct CapData
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    // DllImport rather than LibraryImport, as in NativeMethods. syscall(2) is variadic; its integer arguments travel in
    // the same registers as a fixed signature's on x64 and arm64 Linux.
    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    static extern long SysCall(long number, long first, long second, long third);

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    static extern long GetRes(long number, out uint real, out uint effective, out uint saved);

    [DllImport("libc", EntryPoint = "prctl", SetLastError = true)]
    static extern int PrCtl(int option, ulong second, ulong third, ulong fourth, ulong fifth);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int Kill(int pid, int signal);

    [DllImport("libc", EntryPoint = "capget", SetLastError = true)]
    static extern int CapGet(ref CapHeader header, [Out] CapData[] data);

    [DllImport("libc", EntryPoint = "capset", SetLastError = true)]
    static extern int CapSet(ref CapHeader header, CapData[] data);
}
