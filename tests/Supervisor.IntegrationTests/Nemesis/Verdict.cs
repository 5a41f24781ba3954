namespace Supervisor.IntegrationTests.Nemesis;

/// <summary>One invariant's outcome after a campaign, with the evidence (ids, attempts, times) to chase it with.</summary>
sealed record Verdict(string Invariant, bool Holds, string Evidence)
{
    public override string ToString() => $"{(Holds ? "HOLDS " : "BROKEN")}  {Invariant}: {Evidence}";
}
