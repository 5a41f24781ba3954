using System.Diagnostics.Metrics;
using Supervisor.Worker.Attempts;

namespace Supervisor.Worker.Metrics;

/// <summary>
/// The worker's instruments on the meter <c>Supervisor.Worker</c>, visible to any System.Diagnostics.Metrics listener
/// (dotnet-counters, OpenTelemetry's OTLP exporter) and served in Prometheus text by <see cref="MetricsServer"/>. Names and
/// units are chosen so that OpenTelemetry's Prometheus naming (dots to underscores, <c>By</c> to <c>_bytes</c>, a
/// <c>{…}</c> annotation dropped, <c>_total</c> on counters) gives the names the worker has always served:
/// <c>supervisor_worker_attempts_started_total</c>, <c>…_finished_total</c>, <c>…_running</c> and
/// <c>supervisor_worker_output_bytes_total</c>.
/// </summary>
public sealed class WorkerMetrics : IDisposable
{
    public const string MeterName = "Supervisor.Worker";

    readonly Meter _meter = new(MeterName);
    readonly Counter<long> _started;
    readonly Counter<long> _finished;
    readonly Counter<long> _outputBytes;

    public WorkerMetrics(RunningAttempts running)
    {
        _started = _meter.CreateCounter<long>("supervisor.worker.attempts.started", "{attempt}", "Attempts this worker started, by agent.");
        _finished = _meter.CreateCounter<long>("supervisor.worker.attempts.finished", "{attempt}",
            "Attempts this worker finished, by agent and outcome (succeeded, cancelled, handed_back, or the failure class).");
        _outputBytes = _meter.CreateCounter<long>("supervisor.worker.output", "By",
            "Output the agents wrote (UTF-8 bytes, before redaction and caps), by agent.");
        _meter.CreateObservableGauge("supervisor.worker.attempts.running",
            () => running.Snapshot().GroupBy(a => a.Agent, StringComparer.Ordinal).Select(g => new Measurement<long>(g.LongCount(), new KeyValuePair<string, object?>("agent", g.Key))),
            "{attempt}", "Attempts running now, by agent.");
    }

    public void AttemptStarted(string agent) => _started.Add(1, new KeyValuePair<string, object?>("agent", agent));

    public void AttemptFinished(string agent, string outcome) =>
        _finished.Add(1, new KeyValuePair<string, object?>("agent", agent), new KeyValuePair<string, object?>("outcome", outcome));

    public void Output(string agent, long bytes) => _outputBytes.Add(bytes, new KeyValuePair<string, object?>("agent", agent));

    public void Dispose() => _meter.Dispose();
}
