namespace Supervisor.Cli.Api;

/// <summary>An item of <c>GET /api/agents</c>. <see cref="Workers"/> is null when the service does not report workers.</summary>
sealed record AgentView(
    string Name,
    string? Command,
    string? Isolation,
    string? Fallback,
    int? Concurrency,
    int? TimeoutSeconds,
    long? QueueDepth,
    IReadOnlyList<WorkerView>? Workers,
    IReadOnlyList<AccountView>? Accounts = null);

/// <summary>
/// A provider account of an agent: ok, cooling / blocked until a time by a limit of some kind, or probing after a block;
/// the attempts running on it against its cap, and the tasks waiting on it.
/// </summary>
sealed record AccountView(
    string Id,
    string? State,
    string? Kind,
    DateTimeOffset? Until,
    DateTimeOffset? Since,
    string? LastSignal,
    DateTimeOffset? LastSignalAt,
    int Blocks,
    int Workers,
    Guid? ProbeTask = null,
    int Running = 0,
    int? MaxConcurrent = null,
    int Waiting = 0,
    AccountBudgets? Budgets = null,
    string? Billing = null,
    bool SpillOnly = false);

/// <summary>An account's daily and monthly budgets, each with its spend (absent from an older service).</summary>
sealed record AccountBudgets(BudgetView? Daily, BudgetView? Monthly);

/// <summary>A budget window: the budget (null: none), <c>config</c> or <c>operator</c>, the spend, whether reached, when it renews.</summary>
sealed record BudgetView(decimal? Usd, string? Source, decimal SpentUsd, bool Reached, DateTimeOffset? RenewsAt);

/// <summary><c>GET /api/accounts/{id}</c>: the account's view, its agent, and the tasks parked on it.</summary>
sealed record AccountDetail(string Agent, AccountView Account, IReadOnlyList<AccountWaiter>? WaitingTasks);

sealed record AccountWaiter(Guid TaskId, DateTimeOffset Since, bool Released);

sealed record WorkerView(
    string Id,
    string? Host,
    bool Busy,
    Guid? CurrentTask,
    DateTimeOffset? LastHeartbeat,
    bool Lost);
