using System.Runtime.InteropServices;

namespace Supervisor.Worker.Execution;

static class NativeMethods
{
    internal const int SigKill = 9;

    // DllImport rather than LibraryImport: the source-generated form needs AllowUnsafeBlocks, and int-only
    // signatures are blittable so the classic form costs nothing here.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int SysKill(int pid, int signal);

    [DllImport("libc", EntryPoint = "geteuid")]
    static extern uint SysGetEuid();

    [DllImport("libc", EntryPoint = "getegid")]
    static extern uint SysGetEgid();

    /// <summary>This process's effective user id (0 where there is none to ask).</summary>
    internal static uint EffectiveUserId() => OperatingSystem.IsWindows() ? 0 : SysGetEuid();

    /// <summary>This process's effective group id (0 where there is none to ask).</summary>
    internal static uint EffectiveGroupId() => OperatingSystem.IsWindows() ? 0 : SysGetEgid();

    /// <summary>Sends <paramref name="signal"/> to every process in group <paramref name="processGroupId"/>.</summary>
    /// <returns>false when no such group exists any more (ESRCH) or the call is unsupported.</returns>
    internal static bool KillProcessGroup(int processGroupId, int signal)
    {
        if (OperatingSystem.IsWindows() || processGroupId <= 1)
        {
            return false;
        }

        try
        {
            return SysKill(-processGroupId, signal) == 0;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }
}
