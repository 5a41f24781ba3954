using System.Diagnostics;
using System.Globalization;
using Supervisor.Worker.Execution;

namespace Supervisor.Benchmarks;

/// <summary>
/// The floor a process per attempt sets on this machine: <c>/bin/sh -c true</c> started the way the worker starts an
/// agent (<see cref="SpawnedProcess"/>: posix_spawn in a session of its own, three pipes, a waitpid thread), one after
/// the other, and the CPU it took: the agent's own (this process's reaped children) and in all (with the spawning side).
/// </summary>
static class AgentProcessFloor
{
    static readonly KeyValuePair<string, string>[] Environment = [new("PATH", "/usr/bin:/bin")];

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var n = args.Int("n", 1000);
        // Enough first that this process's JIT is done with the loop before it is measured.
        for (var i = 0; i < 500; i++)
            await RunOneAsync();

        var before = CpuSeconds();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
            await RunOneAsync();
        var seconds = clock.Elapsed.TotalSeconds;
        var after = CpuSeconds();

        BenchArgs.Result("spawn.processes", n);
        BenchArgs.Result("spawn.per_s", n / seconds);
        BenchArgs.Result("spawn.agent_cpu_ms", (after.Children - before.Children) * 1000 / n);
        BenchArgs.Result("spawn.total_cpu_ms", (after.Self + after.Children - before.Self - before.Children) * 1000 / n);
        return 0;
    }

    /// <summary>One <c>/bin/sh -c true</c>, started as a worker starts an agent, and awaited.</summary>
    internal static async Task RunOneAsync()
    {
        using var process = SpawnedProcess.Start("/bin/sh", ["-c", "true"], "/", Environment);
        await process.StandardInput.DisposeAsync();
        if (await process.Exited != 0)
            throw new InvalidOperationException("/bin/sh -c true did not exit 0");
    }

    /// <summary>utime + stime, and cutime + cstime, of this process from /proc/self/stat.</summary>
    static (double Self, double Children) CpuSeconds()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        double Ticks(int i) => long.Parse(fields[i], CultureInfo.InvariantCulture) / 100.0; // USER_HZ is 100 on Linux
        return (Ticks(11) + Ticks(12), Ticks(13) + Ticks(14));
    }
}
