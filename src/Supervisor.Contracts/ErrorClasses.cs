namespace Supervisor.Contracts;

/// <summary>Failure classes; the names are part of the public interface.</summary>
public static class ErrorClasses
{
    public const string Retryable = nameof(Retryable);
    public const string RateLimited = nameof(RateLimited);
    public const string AgentFailure = nameof(AgentFailure);
    public const string Timeout = nameof(Timeout);
    public const string ContainerCrash = nameof(ContainerCrash);
    public const string Fatal = nameof(Fatal);
    public const string Invalid = nameof(Invalid);

    /// <summary>The attempt spent more than its task's budget left it; never retried, the task's <c>onBudget</c> decides.</summary>
    public const string BudgetExceeded = nameof(BudgetExceeded);

    public static readonly IReadOnlyList<string> All = [Retryable, RateLimited, AgentFailure, Timeout, ContainerCrash, Fatal, Invalid, BudgetExceeded];
}
