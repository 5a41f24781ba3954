using Supervisor.Contracts;

namespace Supervisor.Rules.Limits;

/// <summary>How limit kinds and account states are written in messages, the database and the API (camelCase names).</summary>
public static class LimitNames
{
    /// <summary>The <see cref="LimitKinds"/> name of <paramref name="kind"/>.</summary>
    public static string Of(LimitKind kind) => kind switch
    {
        LimitKind.RateLimit => LimitKinds.RateLimit,
        LimitKind.UsageWindow => LimitKinds.UsageWindow,
        LimitKind.Quota => LimitKinds.Quota,
        LimitKind.Billing => LimitKinds.Billing,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a limit kind"),
    };

    /// <summary>The kind a <see cref="LimitKinds"/> name stands for; null for a name that is none.</summary>
    public static LimitKind? KindOrNull(string name) => name switch
    {
        LimitKinds.RateLimit => LimitKind.RateLimit,
        LimitKinds.UsageWindow => LimitKind.UsageWindow,
        LimitKinds.Quota => LimitKind.Quota,
        LimitKinds.Billing => LimitKind.Billing,
        _ => null,
    };

    /// <summary>The kind a stored <see cref="LimitKinds"/> name stands for.</summary>
    public static LimitKind Kind(string name) => KindOrNull(name) ?? throw new ArgumentOutOfRangeException(nameof(name), name, "not a limit kind");

    /// <summary>The stored name of <paramref name="state"/>: <c>ok</c>, <c>cooling</c>, <c>blocked</c>, <c>probing</c>.</summary>
    public static string Of(AccountState state) => state switch
    {
        AccountState.Ok => "ok",
        AccountState.Cooling => "cooling",
        AccountState.Blocked => "blocked",
        AccountState.Probing => "probing",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "not an account state"),
    };

    /// <summary>The state a stored name stands for.</summary>
    public static AccountState State(string name) => name switch
    {
        "ok" => AccountState.Ok,
        "cooling" => AccountState.Cooling,
        "blocked" => AccountState.Blocked,
        "probing" => AccountState.Probing,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not an account state"),
    };

    /// <summary>A signal from a worker's report: its kind read from the name (null for a kind this service does not know).</summary>
    public static LimitSignal? Signal(LimitReport report) =>
        KindOrNull(report.Kind) is { } kind
            ? new LimitSignal(kind, report.ResetAt, report.ResetInSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null, report.Window, report.Evidence)
            : null;

    /// <summary>The name of <paramref name="onLimit"/> in messages, the database and the API: <c>wait</c>, <c>fallback</c>.</summary>
    public static string Of(OnLimit onLimit) => onLimit switch
    {
        OnLimit.Wait => "wait",
        OnLimit.Fallback => "fallback",
        _ => throw new ArgumentOutOfRangeException(nameof(onLimit), onLimit, "not a limit policy"),
    };

    /// <summary>The policy a name stands for; null for a name that is none.</summary>
    public static OnLimit? OnLimitOrNull(string? name) => name switch
    {
        "wait" => OnLimit.Wait,
        "fallback" => OnLimit.Fallback,
        _ => null,
    };

    /// <summary>The stored name of <paramref name="reason"/>: <c>limit</c>, <c>cap</c>, <c>budget</c>.</summary>
    public static string Of(WaitReason reason) => reason switch
    {
        WaitReason.Limit => "limit",
        WaitReason.Cap => "cap",
        WaitReason.Budget => "budget",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "not a wait reason"),
    };
}
