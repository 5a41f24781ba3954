using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Supervisor.Metrics;
using Supervisor.Worker.Attempts;

namespace Supervisor.Worker.Metrics;

/// <summary>
/// The worker's instruments on the meter <c>Supervisor.Worker</c> (visible to any System.Diagnostics.Metrics listener,
/// e.g. dotnet-counters or OpenTelemetry), plus a listener of our own that keeps their totals for the Prometheus text
/// served by <see cref="MetricsServer"/>.
/// </summary>
public sealed class WorkerMetrics : IDisposable
{
    public const string MeterName = "Supervisor.Worker";

    readonly Meter _meter = new(MeterName);
    readonly Counter<long> _started;
    readonly Counter<long> _finished;
    readonly Counter<long> _outputBytes;
    readonly MeterListener _listener = new();
    readonly ConcurrentDictionary<(string Instrument, string Agent, string Outcome), long> _totals = new();
    readonly ConcurrentDictionary<string, long> _running = new(StringComparer.Ordinal);

    public WorkerMetrics(RunningAttempts running)
    {
        _started = _meter.CreateCounter<long>("supervisor.worker.attempts.started", "{attempt}", "Attempts this worker started.");
        _finished = _meter.CreateCounter<long>("supervisor.worker.attempts.finished", "{attempt}", "Attempts this worker finished, by outcome.");
        _outputBytes = _meter.CreateCounter<long>("supervisor.worker.output", "By", "Output the agents wrote (UTF-8 bytes, before redaction and caps).");
        _meter.CreateObservableGauge("supervisor.worker.attempts.running",
            () => running.Snapshot().GroupBy(a => a.Agent, StringComparer.Ordinal).Select(g => new Measurement<long>(g.LongCount(), new KeyValuePair<string, object?>("agent", g.Key))),
            "{attempt}", "Attempts running now.");

        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, _meter))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    public void AttemptStarted(string agent) => _started.Add(1, new KeyValuePair<string, object?>("agent", agent));

    public void AttemptFinished(string agent, string outcome) =>
        _finished.Add(1, new KeyValuePair<string, object?>("agent", agent), new KeyValuePair<string, object?>("outcome", outcome));

    public void Output(string agent, long bytes) => _outputBytes.Add(bytes, new KeyValuePair<string, object?>("agent", agent));

    /// <summary>The current values in Prometheus text.</summary>
    public string Render()
    {
        _running.Clear();
        _listener.RecordObservableInstruments();

        var text = new PrometheusText();
        text.Family("supervisor_worker_attempts_started_total", "counter", "Attempts this worker started, by agent.");
        foreach (var ((_, agent, _), value) in Totals("supervisor.worker.attempts.started"))
            text.Sample("supervisor_worker_attempts_started_total", value, ("agent", agent));
        text.Family("supervisor_worker_attempts_finished_total", "counter",
            "Attempts this worker finished, by agent and outcome (succeeded, cancelled, handed_back, or the failure class).");
        foreach (var ((_, agent, outcome), value) in Totals("supervisor.worker.attempts.finished"))
            text.Sample("supervisor_worker_attempts_finished_total", value, ("agent", agent), ("outcome", outcome));
        text.Family("supervisor_worker_attempts_running", "gauge", "Attempts running now, by agent.");
        foreach (var (agent, value) in _running.OrderBy(r => r.Key, StringComparer.Ordinal))
            text.Sample("supervisor_worker_attempts_running", value, ("agent", agent));
        text.Family("supervisor_worker_output_bytes_total", "counter", "Output the agents wrote (UTF-8 bytes, before redaction and caps), by agent.");
        foreach (var ((_, agent, _), value) in Totals("supervisor.worker.output"))
            text.Sample("supervisor_worker_output_bytes_total", value, ("agent", agent));
        return text.ToString();
    }

    IEnumerable<KeyValuePair<(string Instrument, string Agent, string Outcome), long>> Totals(string instrument) =>
        _totals.Where(t => t.Key.Instrument == instrument).OrderBy(t => t.Key.Agent, StringComparer.Ordinal).ThenBy(t => t.Key.Outcome, StringComparer.Ordinal);

    void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string agent = "", outcome = "";
        foreach (var tag in tags)
        {
            if (tag.Key == "agent")
                agent = tag.Value as string ?? "";
            else if (tag.Key == "outcome")
                outcome = tag.Value as string ?? "";
        }

        if (instrument is ObservableGauge<long>)
            _running[agent] = value;
        else
            _totals.AddOrUpdate((instrument.Name, agent, outcome), value, (_, total) => total + value);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _meter.Dispose();
    }
}
