namespace Supervisor.Service.Storage;

/// <summary>The fleet-wide running totals behind <c>GET /metrics</c>, kept by the store as tasks and attempts change.</summary>
public interface IMetricTotals
{
    /// <summary>Every total, as one consistent snapshot.</summary>
    Task<IReadOnlyList<MetricSeries>> ReadAsync(CancellationToken cancellationToken);

    /// <summary>A histogram's bucket bounds.</summary>
    Task<double[]> BoundsAsync(string family, CancellationToken cancellationToken);
}

/// <summary>One total: a metric family, the agent it counts for, and its label (a state, an outcome, a bucket bound or <c>sum</c>).</summary>
public sealed record MetricSeries(string Family, string Agent, string Label, double Value);
