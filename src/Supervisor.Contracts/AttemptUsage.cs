namespace Supervisor.Contracts;

/// <summary>Tokens and cost an attempt reported (null where the agent's output does not say).</summary>
public sealed record AttemptUsage(long? InputTokens, long? OutputTokens, decimal? CostUsd);
