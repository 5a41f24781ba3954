using System.Diagnostics.Metrics;
using Supervisor.Worker.Attempts;

namespace Supervisor.Worker.Metrics;

/// <summary>
/// The worker's instruments on the meter <c>Supervisor.Worker</c>, visible to any System.Diagnostics.Metrics listener
/// (dotnet-counters, OpenTelemetry's OTLP exporter) and served in Prometheus text by <see cref="MetricsServer"/>. Names and
/// units are chosen so that OpenTelemetry's Prometheus naming (dots to underscores, <c>By</c> to <c>_bytes</c>, a
/// <c>{…}</c> annotation dropped, <c>_total</c> on counters) gives the names the worker has always served:
/// <c>supervisor_worker_attempts_started_total</c>, <c>…_finished_total</c>, <c>…_running</c> and
/// <c>supervisor_worker_output_bytes_total</c>; <c>supervisor_worker_limit_signals_total</c> counts provider limits read from
/// the agents' output.
/// </summary>
public sealed class WorkerMetrics : IDisposable
{
    public const string MeterName = "Supervisor.Worker";

    /// <summary>The <c>source</c> of a limit signal read while the agent ran.</summary>
    public const string LiveSignal = "live";

    /// <summary>The <c>source</c> of a limit signal read from a failed attempt's output at its end.</summary>
    public const string FinalSignal = "final";

    readonly Meter _meter = new(MeterName);
    readonly Counter<long> _started;
    readonly Counter<long> _finished;
    readonly Counter<long> _outputBytes;
    readonly Counter<long> _limitSignals;

    public WorkerMetrics(RunningAttempts running)
    {
        _started = _meter.CreateCounter<long>("supervisor.worker.attempts.started", "{attempt}", "Attempts this worker started, by agent.");
        _finished = _meter.CreateCounter<long>("supervisor.worker.attempts.finished", "{attempt}",
            "Attempts this worker finished, by agent and outcome (succeeded, cancelled, handed_back, or the failure class).");
        _outputBytes = _meter.CreateCounter<long>("supervisor.worker.output", "By",
            "Output the agents wrote (UTF-8 bytes, before redaction and caps), by agent.");
        _limitSignals = _meter.CreateCounter<long>("supervisor.worker.limit.signals", "{signal}",
            "Provider limits read from the agents' output, by agent, kind and source (live: published while the agent ran; final: read at a failed attempt's end).");
        _meter.CreateObservableGauge("supervisor.worker.attempts.running",
            () => running.Snapshot().GroupBy(a => a.Agent, StringComparer.Ordinal).Select(g => new Measurement<long>(g.LongCount(), new KeyValuePair<string, object?>("agent", g.Key))),
            "{attempt}", "Attempts running now, by agent.");
    }

    public void AttemptStarted(string agent) => _started.Add(1, new KeyValuePair<string, object?>("agent", agent));

    public void AttemptFinished(string agent, string outcome) =>
        _finished.Add(1, new KeyValuePair<string, object?>("agent", agent), new KeyValuePair<string, object?>("outcome", outcome));

    public void Output(string agent, long bytes) => _outputBytes.Add(bytes, new KeyValuePair<string, object?>("agent", agent));

    /// <summary>A limit signal of <paramref name="kind"/> (a <c>LimitKinds</c> name) read from <paramref name="source"/>.</summary>
    public void LimitSignal(string agent, string kind, string source) =>
        _limitSignals.Add(1, new KeyValuePair<string, object?>("agent", agent), new KeyValuePair<string, object?>("kind", kind),
            new KeyValuePair<string, object?>("source", source));

    public void Dispose() => _meter.Dispose();
}
