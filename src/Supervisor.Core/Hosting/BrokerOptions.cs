using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Settings;

namespace Supervisor.Hosting;

/// <summary>
/// <c>Supervisor:Broker</c>: what the hosts must know of the broker's own settings. A worker holds an agent job's delivery
/// unacknowledged for the whole attempt, and RabbitMQ closes the channel of a consumer that holds one longer than its
/// <c>consumer_timeout</c>: the attempt would be cut off and its job redelivered. Timeouts that cannot fit are refused
/// instead: an agent profile's at start, a task's at submit.
/// </summary>
public sealed class BrokerOptions : IValidatedOptions
{
    public const string Section = "Supervisor:Broker";

    /// <summary>What scripts/services.sh, the compose file and the RabbitMQ image configure (<c>consumer_timeout = 1296000000</c>).</summary>
    public static readonly TimeSpan DefaultConsumerTimeout = TimeSpan.FromDays(15);

    /// <summary>Beside the agent and its verify command, what an attempt may spend holding its job: workspace, hooks, commit, results.</summary>
    public static readonly TimeSpan AttemptOverhead = TimeSpan.FromMinutes(15);

    /// <summary>RabbitMQ's <c>consumer_timeout</c> is at most 2^31-1 ms (24.8 days).</summary>
    static readonly TimeSpan MaxConsumerTimeout = TimeSpan.FromDays(24);

    /// <summary>The broker's <c>consumer_timeout</c>, as configured there: this setting only says what it is.</summary>
    public TimeSpan ConsumerTimeout { get; set; } = DefaultConsumerTimeout;

    /// <summary>
    /// The longest timeout an attempt may have: the agent and then the verify command may each run that long, and the rest
    /// of the attempt (<see cref="AttemptOverhead"/>) must fit beside them in <see cref="ConsumerTimeout"/>.
    /// </summary>
    public TimeSpan LongestAttemptTimeout => (ConsumerTimeout - AttemptOverhead) / 2;

    public IReadOnlyList<string> Validate() =>
        ConsumerTimeout < TimeSpan.FromHours(1) || ConsumerTimeout > MaxConsumerTimeout
            ? [$"{Section}:ConsumerTimeout: must be between 1h and 24d (the most RabbitMQ takes, 2^31-1 ms), the broker's consumer_timeout (it is {ConsumerTimeout})."]
            : [];
}

/// <summary>An agent profile whose timeout the broker would cut off stops the host at start, naming both settings.</summary>
public sealed class AgentTimeoutsFitBroker(IOptions<BrokerOptions> broker) : IValidateOptions<SupervisorOptions>
{
    public ValidateOptionsResult Validate(string? name, SupervisorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var longest = broker.Value.LongestAttemptTimeout;
        var errors = options.Agents
            .Where(a => TimeSpan.FromSeconds(a.Value.TimeoutSeconds) > longest)
            .Select(a => $"Supervisor:Agents:{a.Key}:TimeoutSeconds: {a.Value.TimeoutSeconds} is above {(long)longest.TotalSeconds}, the longest timeout "
                + $"{BrokerOptions.Section}:ConsumerTimeout ({broker.Value.ConsumerTimeout}) lets an attempt finish in (its agent and its verify command "
                + $"may each take it, plus {BrokerOptions.AttemptOverhead.TotalMinutes:0} min); raise the broker's consumer_timeout and that setting, or lower the timeout.")
            .ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
