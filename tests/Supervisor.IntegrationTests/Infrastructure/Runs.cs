namespace Supervisor.IntegrationTests.Infrastructure;

/// <summary>What the tests read from attempts' times.</summary>
static class Runs
{
    /// <summary>The most runs under way at one instant: a run counts from its start up to, not including, its end.</summary>
    public static int MostAtOnce(IReadOnlyCollection<(DateTime Start, DateTime End)> runs) =>
        runs.Count == 0 ? 0 : runs.Max(run => runs.Count(other => other.Start <= run.Start && run.Start < other.End));
}
