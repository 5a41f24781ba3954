namespace Supervisor.IntegrationTests.Infrastructure;

static class ProcessTree
{
    /// <summary>
    /// True when the process no longer runs. A killed process whose parent died waits as a zombie until PID 1 reaps
    /// it (in a container PID 1 may never do so), so a zombie counts as gone.
    /// </summary>
    public static bool IsGone(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static IEnumerable<int> Pids(string file) =>
        File.ReadAllLines(file).Where(l => l.Length > 0).Select(l => int.Parse(l, System.Globalization.CultureInfo.InvariantCulture));
}
