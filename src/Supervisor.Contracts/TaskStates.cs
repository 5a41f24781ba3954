namespace Supervisor.Contracts;

/// <summary>Task state names; part of the public interface.</summary>
public static class TaskStates
{
    public const string Submitted = nameof(Submitted);
    public const string AwaitingApproval = nameof(AwaitingApproval);
    public const string Dispatched = nameof(Dispatched);
    public const string Running = nameof(Running);
    public const string RetryScheduled = nameof(RetryScheduled);
    public const string Paused = nameof(Paused);
    public const string Succeeded = nameof(Succeeded);
    public const string Failed = nameof(Failed);
    public const string Cancelled = nameof(Cancelled);
    public const string Rejected = nameof(Rejected);

    public static readonly IReadOnlyList<string> All =
        [Submitted, AwaitingApproval, Dispatched, Running, RetryScheduled, Paused, Succeeded, Failed, Cancelled, Rejected];

    public static readonly IReadOnlyList<string> Terminal = [Succeeded, Failed, Cancelled, Rejected];
}
