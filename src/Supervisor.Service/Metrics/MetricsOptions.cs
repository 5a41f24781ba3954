namespace Supervisor.Service.Metrics;

/// <summary><c>Supervisor:Metrics</c>: how fresh the broker's figures in <c>/metrics</c> are.</summary>
public sealed class MetricsOptions : Supervisor.Settings.IValidatedOptions
{
    public const string Section = "Supervisor:Metrics";

    /// <summary>
    /// How often the broker's queue depths and dead-letter counts are sampled while <c>/metrics</c> is being scraped
    /// (about thirty queue probes a sample). A scrape answers from a sample at most twice this old, and reads the broker
    /// itself when the last one is older. Zero reads the broker at every scrape.
    /// </summary>
    public TimeSpan BrokerSampleInterval { get; set; } = TimeSpan.FromSeconds(5);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (BrokerSampleInterval < TimeSpan.Zero || BrokerSampleInterval > TimeSpan.FromMinutes(5))
            errors.Add($"{Section}:BrokerSampleInterval: must be between 0 and 5m (it is {BrokerSampleInterval}).");
        return errors;
    }
}
