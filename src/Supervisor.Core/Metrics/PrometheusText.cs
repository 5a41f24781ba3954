using System.Globalization;
using System.Text;

namespace Supervisor.Metrics;

/// <summary>Writes the Prometheus text exposition format (version 0.0.4).</summary>
public sealed class PrometheusText
{
    readonly StringBuilder _text = new();

    public void Family(string name, string type, string help)
    {
        _text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        _text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    public void Sample(string name, double value, params (string Name, string Value)[] labels)
    {
        _text.Append(name);
        if (labels.Length > 0)
        {
            _text.Append('{');
            _text.AppendJoin(',', labels.Select(l => $"{l.Name}=\"{Escape(l.Value)}\""));
            _text.Append('}');
        }

        _text.Append(' ').Append(Format(value)).Append('\n');
    }

    /// <summary>A histogram from cumulative bucket counts (one per upper bound, +Inf last), their sum and count.</summary>
    public void Histogram(string name, IReadOnlyList<double> bounds, IReadOnlyList<long> cumulative, double sum, long count,
        params (string Name, string Value)[] labels)
    {
        for (var i = 0; i < bounds.Count; i++)
            Sample(name + "_bucket", cumulative[i], [.. labels, ("le", Format(bounds[i]))]);
        Sample(name + "_bucket", count, [.. labels, ("le", "+Inf")]);
        Sample(name + "_sum", sum, labels);
        Sample(name + "_count", count, labels);
    }

    public override string ToString() => _text.ToString();

    static string Format(double value) => double.IsPositiveInfinity(value) ? "+Inf" : value.ToString(CultureInfo.InvariantCulture);

    static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
        .Replace("\n", "\\n", StringComparison.Ordinal);
}
