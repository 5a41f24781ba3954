namespace Supervisor.IntegrationTests.Scheduling;

/// <summary>The message the scheduling tests schedule; <paramref name="Id"/> tells the deliveries of one test apart.</summary>
public sealed record ScheduledPing(Guid Id, string Text);
