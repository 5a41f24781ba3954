using System.Globalization;

namespace Supervisor.IntegrationTests.Nemesis;

/// <summary>The faults the campaign injects.</summary>
enum FaultKind
{
    /// <summary><c>kill -9</c> of a worker, started again (same id) after <see cref="PlannedFault.Duration"/>.</summary>
    KillWorker,

    /// <summary>As <see cref="KillWorker"/>, aimed at the worker whose attempt just failed (a task seen RetryScheduled): between a failure report and its redelivery.</summary>
    KillWorkerAfterFailure,

    /// <summary>SIGSTOP of a worker for longer than <see cref="CampaignProfile.LostAfter"/>, then SIGCONT.</summary>
    StopWorker,

    /// <summary>A worker killed and started again with its clock skewed by <see cref="PlannedFault.SkewSeconds"/> (libfaketime); it stays skewed.</summary>
    SkewWorkerClock,

    /// <summary>PostgreSQL stopped for <see cref="PlannedFault.Duration"/>, then started.</summary>
    StopPostgres,

    /// <summary>RabbitMQ stopped and started.</summary>
    RestartRabbitMq,

    /// <summary><c>kill -9</c> of a service instance, started again (same address) after <see cref="PlannedFault.Duration"/>.</summary>
    KillService,

    /// <summary>The Docker engine (dockerd) SIGSTOPped for <see cref="PlannedFault.Duration"/>, longer than the workers' engine call timeout, then SIGCONT.</summary>
    PauseDockerEngine,
}

/// <summary>One fault of the schedule: when (from the campaign's start), what, on which worker or service slot, for how long.</summary>
sealed record PlannedFault(TimeSpan At, FaultKind Kind, int Target, TimeSpan Duration, int SkewSeconds)
{
    public override string ToString() => Kind switch
    {
        FaultKind.KillWorker or FaultKind.KillWorkerAfterFailure => Describe($"worker slot {Target + 1}, restarted after {Duration.TotalSeconds:0.0} s"),
        FaultKind.StopWorker => Describe($"worker slot {Target + 1} for {Duration.TotalSeconds:0.0} s"),
        FaultKind.SkewWorkerClock => Describe($"worker slot {Target + 1}, clock {SkewSeconds:+0;-0} s"),
        FaultKind.StopPostgres or FaultKind.PauseDockerEngine => Describe($"for {Duration.TotalSeconds:0} s"),
        FaultKind.KillService => Describe($"service slot {Target + 1}, restarted after {Duration.TotalSeconds:0.0} s"),
        _ => Describe(""),
    };

    string Describe(string what) => string.Create(CultureInfo.InvariantCulture, $"+{At.TotalSeconds:0}s {Kind} {what}").TrimEnd();
}

/// <summary>
/// The seeded schedule: every kind of fault at least once, in a random order, then more kills, stops and restarts while
/// the fault phase has room; random gaps between them. Faults run one after another (each with its recovery), so a
/// schedule replays the same from its seed; overlapping outages are left to the long campaigns' sheer number.
/// </summary>
static class FaultPlan
{
    public const int Workers = 3, Services = 2;

    static readonly FaultKind[] Repeatable =
        [FaultKind.KillWorker, FaultKind.KillWorker, FaultKind.KillWorkerAfterFailure, FaultKind.StopWorker, FaultKind.KillService, FaultKind.RestartRabbitMq];

    public static IReadOnlyList<PlannedFault> Make(Random random, CampaignProfile profile)
    {
        List<FaultKind> kinds =
        [
            FaultKind.KillWorker, FaultKind.KillWorkerAfterFailure, FaultKind.StopWorker, FaultKind.SkewWorkerClock,
            FaultKind.StopPostgres, FaultKind.RestartRabbitMq, FaultKind.KillService, FaultKind.PauseDockerEngine,
        ];
        var budget = kinds.Sum(Estimate) + (kinds.Count * 5);
        while (true)
        {
            var next = Repeatable[random.Next(Repeatable.Length)];
            if (budget + Estimate(next) + 5 > profile.FaultPhase.TotalSeconds)
                break;
            kinds.Add(next);
            budget += Estimate(next) + 5;
        }

        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(kinds));
        var plan = new List<PlannedFault>();
        // the first fault once work is flowing
        var at = TimeSpan.FromSeconds(10 + random.Next(10));
        foreach (var kind in kinds)
        {
            var fault = kind switch
            {
                FaultKind.KillWorker or FaultKind.KillWorkerAfterFailure =>
                    new PlannedFault(at, kind, random.Next(Workers), Seconds(random, 0.5, 6), 0),
                FaultKind.StopWorker => new PlannedFault(at, kind, random.Next(Workers),
                    CampaignProfile.LostAfter + Seconds(random, 3, 20), 0),
                FaultKind.SkewWorkerClock => new PlannedFault(at, kind, random.Next(Workers), TimeSpan.Zero, random.Next(2) == 0 ? -60 : 60),
                FaultKind.StopPostgres => new PlannedFault(at, kind, 0, profile.PostgresOutage, 0),
                FaultKind.KillService => new PlannedFault(at, kind, random.Next(Services), Seconds(random, 0.5, 5), 0),
                FaultKind.PauseDockerEngine => new PlannedFault(at, kind, 0, CampaignProfile.EngineCallTimeout + Seconds(random, 5, 20), 0),
                _ => new PlannedFault(at, kind, 0, TimeSpan.Zero, 0),
            };
            plan.Add(fault);
            at += TimeSpan.FromSeconds(Estimate(kind)) + Seconds(random, 2, 8);
        }

        return plan;

        double Estimate(FaultKind kind) => kind switch
        {
            FaultKind.StopPostgres => profile.PostgresOutage.TotalSeconds + 10,
            FaultKind.StopWorker => CampaignProfile.LostAfter.TotalSeconds + 12,
            FaultKind.PauseDockerEngine => CampaignProfile.EngineCallTimeout.TotalSeconds + 22,
            FaultKind.RestartRabbitMq => 20,
            _ => 10,
        };
    }

    static TimeSpan Seconds(Random random, double min, double max) => TimeSpan.FromSeconds(Math.Round(min + (random.NextDouble() * (max - min)), 1));
}
