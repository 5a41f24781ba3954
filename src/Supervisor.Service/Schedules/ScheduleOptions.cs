namespace Supervisor.Service.Schedules;

/// <summary><c>Supervisor:Schedules</c>: when a fire counts as on time, how many missed ones one evaluation catches up, how long fires are kept.</summary>
public sealed class ScheduleOptions : Supervisor.Settings.IValidatedOptions
{
    public const string Section = "Supervisor:Schedules";

    /// <summary>
    /// A fire decided at most this long after its time is on time (<c>scheduled</c>), whatever the schedule's catch-up
    /// window: a wake-up is always a little late, and an on-time fire is never counted as missed.
    /// </summary>
    public TimeSpan OnTimeGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// At most this many missed fires inside the catch-up window are decided in one evaluation (the latest ones); older
    /// ones count as missed. A service back after a long outage does not flood the workers.
    /// </summary>
    public int MaxCatchUpFires { get; set; } = 100;

    /// <summary>Decided fires older than this are forgotten (not one still waiting to start, buffered or not yet seen as a task).</summary>
    public TimeSpan FireRetention { get; set; } = TimeSpan.FromDays(30);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (OnTimeGrace < TimeSpan.FromSeconds(1) || OnTimeGrace > TimeSpan.FromMinutes(10))
            errors.Add($"{Section}:OnTimeGrace: must be between 1s and 10m (it is {OnTimeGrace}).");
        if (MaxCatchUpFires is < 1 or > 10_000)
            errors.Add($"{Section}:MaxCatchUpFires: must be between 1 and 10000 (it is {MaxCatchUpFires}).");
        if (FireRetention < TimeSpan.FromHours(1))
            errors.Add($"{Section}:FireRetention: must be at least 1h (it is {FireRetention}).");
        return errors;
    }
}
