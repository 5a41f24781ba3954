using System.Globalization;

namespace Supervisor.IntegrationTests.Nemesis;

/// <summary>
/// How long and how hard one campaign is. Without settings it is the CI profile: one seed in about six minutes (faults
/// for about three, a 40 s PostgreSQL outage, two minutes for every task to end). <c>NEMESIS_SEED</c> replays a seed;
/// <c>NEMESIS_MINUTES</c> lengthens the fault phase (the long profile, as scripts/nemesis.sh runs it: PostgreSQL down
/// for 5 minutes from 8 minutes on); <c>NEMESIS_PG_OUTAGE</c> and <c>NEMESIS_SETTLE</c> (seconds) override the outage
/// and the bound on convergence; <c>NEMESIS_TASKS</c> the number of tasks.
/// </summary>
sealed record CampaignProfile(int Seed, TimeSpan FaultPhase, TimeSpan PostgresOutage, TimeSpan SettleBound, int Tasks)
{
    /// <summary>How long a worker may be silent before the service counts it lost: short, so that SIGSTOP outlasts it.</summary>
    public static readonly TimeSpan LostAfter = TimeSpan.FromSeconds(12);

    /// <summary>The workers' bound on each Docker Engine call (<c>Supervisor:Worker:EngineCallTimeout</c>): short, so that a paused engine outlasts it.</summary>
    public static readonly TimeSpan EngineCallTimeout = TimeSpan.FromSeconds(10);


    public static CampaignProfile FromEnvironment()
    {
        var seed = Number("NEMESIS_SEED") is { } s ? (int)s : Random.Shared.Next(1, 1_000_000);
        var minutes = Number("NEMESIS_MINUTES");
        var phase = TimeSpan.FromMinutes(minutes ?? 3);
        var outage = TimeSpan.FromSeconds(Number("NEMESIS_PG_OUTAGE") ?? (phase >= TimeSpan.FromMinutes(8) ? 300 : 40));
        var settle = TimeSpan.FromSeconds(Number("NEMESIS_SETTLE") ?? (minutes is null ? 120 : 300));
        var tasks = (int)(Number("NEMESIS_TASKS") ?? 300);
        return new CampaignProfile(seed, phase, outage, settle, tasks);
    }

    static double? Number(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } text
            ? double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)
            : null;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"seed {Seed}: {Tasks} tasks, faults for {FaultPhase.TotalMinutes:0.#} min, PostgreSQL outage {PostgresOutage.TotalSeconds:0} s, "
        + $"every task terminal within {SettleBound.TotalSeconds:0} s after the last fault, LostAfter {LostAfter.TotalSeconds:0} s");
}
