namespace Supervisor.Service.Fleet;

/// <summary><c>Supervisor:Fleet</c>: when a silent worker counts as lost (and its attempts' leases expire), and when it is forgotten.</summary>
public sealed class FleetOptions : Supervisor.Settings.IValidatedOptions
{
    public const string Section = "Supervisor:Fleet";

    /// <summary>
    /// A worker whose last heartbeat is older than this is shown as lost (workers beat every 5 s by default), and an
    /// attempt's lease lasts this long past the last heartbeat that listed it, on the service's clock: then its job goes
    /// to another worker and the attempt is on the record as lost.
    /// </summary>
    public TimeSpan LostAfter { get; set; } = TimeSpan.FromSeconds(20);

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
        if (LostAfter <= TimeSpan.Zero)
            errors.Add($"{Section}:LostAfter: must be positive.");
        if (MaxLostAttempts < 1)
            errors.Add($"{Section}:MaxLostAttempts: must be at least 1 (it is {MaxLostAttempts}).");
        if (ForgetAfter <= TimeSpan.Zero)
            errors.Add($"{Section}:ForgetAfter: must be positive.");
        return errors;
    }
}
