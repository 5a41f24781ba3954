namespace Supervisor.Contracts;

/// <summary>
/// What a task does when its <see cref="SubmitTask.ConcurrencyKey"/> already has <see cref="SubmitTask.ConcurrencyLimit"/>
/// tasks under way (started and not ended).
/// </summary>
public static class ConcurrencyStrategies
{
    /// <summary>Waits in <c>Submitted</c>, in order, until one of them ends (the default).</summary>
    public const string Queue = "queue";

    /// <summary>Cancels the oldest of them, then starts when it has ended.</summary>
    public const string CancelRunning = "cancelRunning";

    /// <summary>Is cancelled itself: the newest is dropped.</summary>
    public const string DropNewest = "dropNewest";

    public static readonly IReadOnlyList<string> All = [Queue, CancelRunning, DropNewest];

    /// <summary>The longest key, and the most tasks a key may have under way.</summary>
    public const int MaxKeyLength = 200, MaxLimit = 100;
}
