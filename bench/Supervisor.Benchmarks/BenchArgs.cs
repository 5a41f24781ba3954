using System.Globalization;

namespace Supervisor.Benchmarks;

sealed record BenchArgs(string Command, IReadOnlyDictionary<string, string> Values)
{
    public static BenchArgs Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i + 1 < args.Length; i += 2)
            values[args[i].TrimStart('-')] = args[i + 1];
        return new BenchArgs(args.Length > 0 ? args[0] : "", values);
    }

    public string Get(string name) =>
        Values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required", nameof(name));

    public int Int(string name, int fallback) =>
        Values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) =>
        Values.TryGetValue(name, out var value) ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public static int Usage()
    {
        Console.Error.WriteLine("usage: Supervisor.Benchmarks e2e|inmemory|inmemory-stack|rabbit|spawn|workspace|hangfire|recovery|history [--name value ...] (see scripts/bench.sh)");
        return 2;
    }

    public static void Result(string name, double value) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {name} {value:0.###}"));
}
