namespace Supervisor.Contracts;

/// <summary>The kinds of provider limit a <see cref="LimitReport"/> names.</summary>
public static class LimitKinds
{
    /// <summary>Requests or tokens per minute: a short cool-down.</summary>
    public const string RateLimit = "rateLimit";

    /// <summary>A subscription's usage window (five hours, a week).</summary>
    public const string UsageWindow = "usageWindow";

    /// <summary>A quota used up (a daily quota, an exhausted plan).</summary>
    public const string Quota = "quota";

    /// <summary>The account cannot pay.</summary>
    public const string Billing = "billing";

    public static readonly IReadOnlyList<string> All = [RateLimit, UsageWindow, Quota, Billing];
}
