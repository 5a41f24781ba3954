using Supervisor.Contracts;

namespace Supervisor.Rules.Interpretation;

/// <summary>
/// What an agent's own structured output says about its attempt. An <see cref="ErrorClass"/> here overrides a zero
/// exit code: several CLIs exit 0 although the API call failed or nothing could be written.
/// </summary>
public sealed record AgentReport(string? ErrorClass, string? Message, TimeSpan? RetryAfter, AttemptUsage? Usage, string? Summary);
