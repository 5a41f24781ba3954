using Supervisor.Rules.Approval;

namespace Supervisor.Service.Tasks;

/// <summary><c>Supervisor:Policy</c>: which tasks wait for a person's approval, and for how long.</summary>
public sealed class PolicyOptions : Supervisor.Settings.IValidatedOptions
{
    public const string Section = "Supervisor:Policy";

    static readonly string[] Levels = ["low", "medium", "high"];

    /// <summary>Risk levels that need approval before the first attempt (default: high).</summary>
    public List<string> ApprovalRequiredFor { get; set; } = [];

    /// <summary>A task nobody approved or rejected within this time is rejected; none by default.</summary>
    public TimeSpan? ApprovalTimeout { get; set; }

    public bool RequiresApproval(string? risk) => ApprovalPolicy.RequiresApproval(ApprovalRequiredFor, risk);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        foreach (var level in ApprovalRequiredFor.Where(l => !Levels.Contains(l, StringComparer.OrdinalIgnoreCase) && l != "none"))
            errors.Add($"{Section}:ApprovalRequiredFor: '{level}' is not one of {string.Join(", ", Levels)} (or 'none').");
        if (ApprovalTimeout is { } timeout && timeout <= TimeSpan.Zero)
            errors.Add($"{Section}:ApprovalTimeout: must be positive.");
        return errors;
    }
}
