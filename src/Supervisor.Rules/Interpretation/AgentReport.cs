using Supervisor.Contracts;
using Supervisor.Rules.Limits;

namespace Supervisor.Rules.Interpretation;

/// <summary>
/// What an agent's own structured output says about its attempt. An <see cref="ErrorClass"/> here overrides a zero
/// exit code: several CLIs exit 0 although the API call failed or nothing could be written. <see cref="Limit"/> is the
/// provider limit the attempt ended on, if it ended on one: the class says what the attempt was, the signal what the
/// account is (an exhausted quota is <c>Fatal</c> for the attempt and a quota signal for the account).
/// </summary>
public sealed record AgentReport(string? ErrorClass, string? Message, TimeSpan? RetryAfter, AttemptUsage? Usage, string? Summary, LimitSignal? Limit = null);
