using System.Text.RegularExpressions;
using Supervisor.Rules.Limits;

namespace Supervisor.Agents;

/// <summary>
/// How an agent's provider limits are handled, bound from <c>Supervisor:Agents:&lt;name&gt;:Limits</c>. A limit one
/// attempt runs into applies to its account, fleet-wide.
/// </summary>
public sealed partial class LimitOptions
{
    /// <summary>
    /// The account this agent's limits apply to, when several profiles share one subscription. Unset: the agent's name and
    /// a fingerprint of its endpoint and keys (<c>claude/3fa9c2d1e0b4</c>), computed on each worker; a profile with neither
    /// endpoint nor key has no account.
    /// </summary>
    public string? Account { get; set; }

    /// <summary>The longest a signal blocks the account, whatever reset it names.</summary>
    public TimeSpan MaxBlock { get; set; } = new AccountLimits().MaxBlock;

    /// <summary>How long a signal that names no reset blocks the account, by kind.</summary>
    public BlockDefaultOptions DefaultBlock { get; set; } = new();

    /// <summary>
    /// A running agent whose output shows a limit that resets further ahead than this is stopped at once (its CLI would
    /// only sleep on its own retry, holding a worker); a nearer reset is left for the CLI to wait out.
    /// </summary>
    public TimeSpan EndAttemptWhenBlockedBeyond { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>What a task on this agent does when the account is blocked, unless the task says (<c>wait</c> or <c>fallback</c>).</summary>
    public OnLimit OnLimit { get; set; } = OnLimit.Wait;

    /// <summary>The longest a task waits on the account in this agent's turn, unless the task says; zero: never wait.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How many blocks of the account a task waits through in this agent's turn, unless the task says; unset: no count bound.</summary>
    public int? MaxWindows { get; set; }

    /// <summary>Attempts that may run on the account at once, across the fleet; unset: no cap.</summary>
    public int? MaxConcurrent { get; set; }

    /// <summary>The interval over which tasks waiting on the account are released after a block, so they do not all call at once.</summary>
    public TimeSpan ReleaseSpread { get; set; } = new AccountLimits().ReleaseSpread;

    /// <summary>
    /// Dollars the account may spend per day (midnight to midnight in <c>Supervisor:Limits:BudgetTimeZone</c>), summed over
    /// the attempts that finished on it; unset: no daily budget. An operator may set another at run time.
    /// </summary>
    public decimal? DailyBudgetUsd { get; set; }

    /// <summary>Dollars the account may spend per calendar month, like <see cref="DailyBudgetUsd"/>; unset: no monthly budget.</summary>
    public decimal? MonthlyBudgetUsd { get; set; }

    /// <summary>How the account is paid for: <c>Subscription</c> (a flat plan with usage windows) or <c>Metered</c> (per token).</summary>
    public Billing Billing { get; set; } = Billing.Subscription;

    /// <summary>
    /// The agent takes a task from the agent before it in the task's chain only while that one's account holds it back (a
    /// block, a spent budget, its rate-limit retries used up), not when it failed for other reasons: metered accounts
    /// take the overflow of subscription ones and nothing more.
    /// </summary>
    public bool SpillOnly { get; set; }

    /// <summary>The policy of a task on this agent: the task's own choices where it made them, these defaults otherwise.</summary>
    public TaskLimitPolicy PolicyFor(string? onLimit, int? maxWaitSeconds, int? maxWindows) =>
        new(LimitNames.OnLimitOrNull(onLimit) ?? OnLimit, maxWaitSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : MaxWait, maxWindows ?? MaxWindows);

    /// <summary>The planner's view of these settings.</summary>
    public AccountLimits ToAccountLimits() => new()
    {
        MaxConcurrent = MaxConcurrent,
        ReleaseSpread = ReleaseSpread,
        MaxBlock = MaxBlock,
        DefaultBlock = new BlockDefaults(DefaultBlock.RateLimit, DefaultBlock.UsageWindow, DefaultBlock.Quota, DefaultBlock.Billing),
        DailyBudgetUsd = DailyBudgetUsd,
        MonthlyBudgetUsd = MonthlyBudgetUsd,
    };

    /// <summary>Whether <paramref name="account"/> is a usable account name (it appears in URLs and metric labels).</summary>
    public static bool IsValidAccount(string account) => AccountPattern().IsMatch(account);

    internal IEnumerable<string> Validate(string key)
    {
        if (Account is { } account && !IsValidAccount(account))
            yield return $"{key}:Account: '{account}' is not an account name (1-100 lower-case letters, digits and . _ - /, starting with a letter or digit).";
        if (MaxBlock < TimeSpan.FromSeconds(1))
            yield return $"{key}:MaxBlock: must be at least 1s.";
        foreach (var (name, value) in DefaultBlock.Each().Where(d => d.Value <= TimeSpan.Zero))
            yield return $"{key}:DefaultBlock:{name}: must be positive.";
        if (EndAttemptWhenBlockedBeyond < TimeSpan.Zero)
            yield return $"{key}:EndAttemptWhenBlockedBeyond: must not be negative.";
        if (!Enum.IsDefined(OnLimit))
            yield return $"{key}:OnLimit: must be Wait or Fallback.";
        if (MaxWait < TimeSpan.Zero || MaxWait > LimitBounds.MaxWait)
            yield return $"{key}:MaxWait: must be between 0s and 7 days.";
        if (MaxWindows is < 1 or > LimitBounds.MaxWindows)
            yield return $"{key}:MaxWindows: must be between 1 and {LimitBounds.MaxWindows} when set.";
        if (MaxConcurrent is < 1)
            yield return $"{key}:MaxConcurrent: must be at least 1 when set.";
        if (ReleaseSpread < TimeSpan.Zero || ReleaseSpread > TimeSpan.FromHours(1))
            yield return $"{key}:ReleaseSpread: must be between 0s and 1h.";
        if (DailyBudgetUsd is < 0 or > LimitBounds.MaxAccountBudgetUsd)
            yield return $"{key}:DailyBudgetUsd: must be between 0 and {LimitBounds.MaxAccountBudgetUsd} when set.";
        if (MonthlyBudgetUsd is < 0 or > LimitBounds.MaxAccountBudgetUsd)
            yield return $"{key}:MonthlyBudgetUsd: must be between 0 and {LimitBounds.MaxAccountBudgetUsd} when set.";
        if (!Enum.IsDefined(Billing))
            yield return $"{key}:Billing: must be Subscription or Metered.";
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._/-]{0,99}$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex AccountPattern();
}

/// <summary>How an account is paid for (<c>Limits:Billing</c>).</summary>
public enum Billing
{
    /// <summary>A flat plan whose usage windows and limits the provider enforces.</summary>
    Subscription,

    /// <summary>Paid per token: no window runs out, every call costs.</summary>
    Metered,
}

/// <summary>How long a signal without a reset blocks, per kind (<c>Limits:DefaultBlock</c>).</summary>
public sealed class BlockDefaultOptions
{
    public TimeSpan RateLimit { get; set; } = BlockDefaults.Shipped.RateLimit;

    public TimeSpan UsageWindow { get; set; } = BlockDefaults.Shipped.UsageWindow;

    public TimeSpan Quota { get; set; } = BlockDefaults.Shipped.Quota;

    public TimeSpan Billing { get; set; } = BlockDefaults.Shipped.Billing;

    internal IEnumerable<KeyValuePair<string, TimeSpan>> Each() =>
        [new(nameof(RateLimit), RateLimit), new(nameof(UsageWindow), UsageWindow), new(nameof(Quota), Quota), new(nameof(Billing), Billing)];
}
