namespace Supervisor.Service.Fleet;

/// <summary><c>Supervisor:Fleet</c>: when a silent worker counts as lost, and when it is forgotten.</summary>
public sealed class FleetOptions : Supervisor.Settings.IValidatedOptions
{
    public const string Section = "Supervisor:Fleet";

    /// <summary>A worker whose last heartbeat is older than this is shown as lost (workers beat every 5 s by default).</summary>
    public TimeSpan LostAfter { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Lost or stopped workers older than this are no longer listed.</summary>
    public TimeSpan ForgetAfter { get; set; } = TimeSpan.FromHours(1);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (LostAfter <= TimeSpan.Zero)
            errors.Add($"{Section}:LostAfter: must be positive.");
        if (ForgetAfter <= TimeSpan.Zero)
            errors.Add($"{Section}:ForgetAfter: must be positive.");
        return errors;
    }
}
