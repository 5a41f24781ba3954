using System.Diagnostics;
using System.Globalization;

namespace Supervisor.Tests.Execution;

/// <summary>Observes processes that a test script started, through the pid files it writes and /proc.</summary>
static class ProcessTree
{
    public static async Task<int[]> ReadPidsAsync(string file, int count)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            var lines = File.Exists(file) ? await File.ReadAllLinesAsync(file) : [];
            if (lines.Length >= count)
            {
                return lines.Take(count).Select(l => int.Parse(l, CultureInfo.InvariantCulture)).ToArray();
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"{file} never listed {count} pids");
    }

    public static async Task AssertAllGoneAsync(int[] pids)
    {
        // A killed process may linger briefly as a zombie until its new parent reaps it; a zombie runs nothing.
        static bool Gone(int pid)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                return stat[stat.LastIndexOf(')') + 2] == 'Z';
            }
            catch (IOException)
            {
                return true;
            }
        }

        var deadline = Stopwatch.StartNew();
        while (!pids.All(Gone) && deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(50);
        }

        Assert.All(pids, pid => Assert.True(Gone(pid), $"process {pid} is still running"));
    }
}
