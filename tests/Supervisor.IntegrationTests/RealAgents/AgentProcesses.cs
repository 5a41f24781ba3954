using System.Globalization;

namespace Supervisor.IntegrationTests.RealAgents;

/// <summary>Processes still running for a task, found by the <c>SUPERVISOR_TASK_ID</c> every agent process is given.</summary>
static class AgentProcesses
{
    public static List<string> Of(Guid taskId)
    {
        var marker = $"SUPERVISOR_TASK_ID={taskId}\0";
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out _))
                continue;
            try
            {
                if (!File.ReadAllText(Path.Combine(dir, "environ")).Contains(marker, StringComparison.Ordinal))
                    continue;
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z'))
                    continue; // a zombie has ended; only its parent has not reaped it yet
                found.Add($"{Path.GetFileName(dir)}: {File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim()}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone while we looked, or not ours to read.
            }
        }

        return found;
    }
}
