namespace Supervisor.Service.Fleet;

/// <summary><c>Supervisor:Fleet</c>: when a silent worker counts as lost (and its attempts' leases expire), and when it is forgotten.</summary>
public sealed class FleetOptions : Supervisor.Settings.IValidatedOptions
{
    public const string Section = "Supervisor:Fleet";

    /// <summary>Three beats at the shortest heartbeat interval a worker accepts (1 s).</summary>
    static readonly TimeSpan MinimumLostAfter = TimeSpan.FromSeconds(3);

    /// <summary>
    /// A worker whose last heartbeat is older than this is shown as lost (workers beat every 2 s by default: keep this at
    /// least three beats), and an attempt's lease lasts this long past the last heartbeat that listed it, on the service's
    /// clock: then its job goes to another worker and the attempt is on the record as lost. A killed worker's job starts
    /// again about this long after the kill (docs/failures.md, "Recovery bounds").
    /// </summary>
    public TimeSpan LostAfter { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>
    /// After the service's broker connection was down and came back (a broker restart), how much longer than
    /// <see cref="LostAfter"/> the reconciler waits before it judges leases: the workers reconnect after the service, and
    /// their first heartbeats come late. Not at the service's own start: workers that stayed connected to the broker had
    /// their heartbeats queued meanwhile.
    /// </summary>
    public TimeSpan ReconnectGrace { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Attempts of one job (one agent's turn on a task) that may lose their worker before the job counts as poison (it
    /// keeps killing its workers): then the agent is given up on with <c>ContainerCrash</c> and the chain moves on.
    /// </summary>
    public int MaxLostAttempts { get; set; } = 3;

    /// <summary>Lost or stopped workers older than this are no longer listed.</summary>
    public TimeSpan ForgetAfter { get; set; } = TimeSpan.FromHours(1);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (LostAfter < MinimumLostAfter || LostAfter > TimeSpan.FromHours(1))
            errors.Add($"{Section}:LostAfter: must be between 3s and 1h (it is {LostAfter}): at least three of the shortest heartbeat interval (1s).");
        if (ReconnectGrace < TimeSpan.Zero || ReconnectGrace > TimeSpan.FromHours(1))
            errors.Add($"{Section}:ReconnectGrace: must be between 0 and 1h (it is {ReconnectGrace}).");
        if (MaxLostAttempts < 1)
            errors.Add($"{Section}:MaxLostAttempts: must be at least 1 (it is {MaxLostAttempts}).");
        if (ForgetAfter <= TimeSpan.Zero)
            errors.Add($"{Section}:ForgetAfter: must be positive.");
        return errors;
    }
}
