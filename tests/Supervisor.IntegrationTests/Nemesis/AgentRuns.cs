using System.Globalization;

namespace Supervisor.IntegrationTests.Nemesis;

/// <summary>One run of the campaign's agent as it marked itself in runs.log: when it started and, if it got there, how it ended.</summary>
sealed record AgentRun(Guid Task, int Attempt, string Agent, int Pid, DateTime StartedAt, string? Outcome, DateTime? EndedAt);

/// <summary>Reads TestAgents/nemesis-agent.sh's marks: the runs from the agent's side, whatever the record says.</summary>
static class AgentRuns
{
    public static IReadOnlyList<AgentRun> Read(string runsLog)
    {
        if (!File.Exists(runsLog))
            return [];
        var runs = new List<AgentRun>();
        var open = new Dictionary<(Guid, int, string), Queue<int>>();
        foreach (var line in File.ReadLines(runsLog))
        {
            var f = line.Split(' ');
            if (f.Length != 6 || !Guid.TryParse(f[1], out var task) || !int.TryParse(f[2], CultureInfo.InvariantCulture, out var attempt)
                || !double.TryParse(f[5], NumberStyles.Float, CultureInfo.InvariantCulture, out var epoch))
            {
                continue;
            }

            var at = DateTime.UnixEpoch.AddSeconds(epoch);
            var key = (task, attempt, f[3]);
            if (f[0] == "start" && int.TryParse(f[4], CultureInfo.InvariantCulture, out var pid))
            {
                runs.Add(new AgentRun(task, attempt, f[3], pid, at, null, null));
                if (!open.TryGetValue(key, out var indexes))
                    open[key] = indexes = new Queue<int>();
                indexes.Enqueue(runs.Count - 1);
            }
            else if (f[0] == "end" && open.TryGetValue(key, out var started) && started.Count > 0)
            {
                var i = started.Dequeue();
                runs[i] = runs[i] with { Outcome = f[4], EndedAt = at };
            }
        }

        return runs;
    }

    /// <summary>True when <paramref name="pid"/> is still this agent (a live process whose command line names the script).</summary>
    public static bool StillRuns(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("nemesis-agent.sh", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
