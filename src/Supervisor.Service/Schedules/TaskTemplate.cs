using System.Globalization;
using System.Text.Json;
using Supervisor.Contracts;

namespace Supervisor.Service.Schedules;

/// <summary>
/// What each fire of a schedule submits: a task submission without its id and time. Stored as JSON with the schedule;
/// a schedule's definition never changes, so a fire decided earlier and published later submits what was decided.
/// <see cref="OnLimit"/>, <see cref="MaxWait"/> and <see cref="MaxWindows"/> are the tasks' limit policy (null: the agent's);
/// <see cref="ConcurrencyKey"/>, <see cref="ConcurrencyLimit"/> and <see cref="ConcurrencyStrategy"/> their concurrency key (null: none);
/// <see cref="MaxCostUsd"/>, <see cref="MaxTokens"/> and <see cref="OnBudget"/> each task's budget (null: none).
/// </summary>
public sealed record TaskTemplate(
    string Prompt,
    IReadOnlyList<string>? Agents,
    RepositorySpec? Repository,
    string? Risk,
    int? TimeoutSeconds,
    string? Verify,
    bool ExpectChanges,
    IReadOnlyDictionary<string, string>? Labels,
    bool? Fallback = null,
    string? Model = null,
    string? OnLimit = null,
    TimeSpan? MaxWait = null,
    int? MaxWindows = null,
    string? ConcurrencyKey = null,
    int? ConcurrencyLimit = null,
    string? ConcurrencyStrategy = null,
    decimal? MaxCostUsd = null,
    long? MaxTokens = null,
    string? OnBudget = null)
{
    /// <summary>The label naming the schedule a task was made by (its id).</summary>
    public const string ScheduleLabel = "schedule";

    /// <summary>The label naming the occurrence a task was made for (ISO 8601, UTC).</summary>
    public const string ScheduledForLabel = "scheduledFor";

    public string ToJson() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);

    public static TaskTemplate FromJson(string json) =>
        JsonSerializer.Deserialize<TaskTemplate>(json, JsonSerializerOptions.Web) ?? throw new InvalidOperationException("a schedule's template is empty.");

    /// <summary>The submit of the fire at <paramref name="occurrenceAt"/>: the template, labelled with the schedule and the occurrence.</summary>
    public SubmitTask Submit(Guid taskId, Guid scheduleId, string? scheduleName, DateTime occurrenceAt)
    {
        var labels = new Dictionary<string, string>(Labels ?? new Dictionary<string, string>(StringComparer.Ordinal), StringComparer.Ordinal)
        {
            [ScheduleLabel] = scheduleId.ToString("D"),
            [ScheduledForLabel] = occurrenceAt.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        };
        return new SubmitTask(taskId, Prompt, Agents, Repository, Risk, TimeoutSeconds, Verify, ExpectChanges, labels,
            $"schedule {scheduleName ?? scheduleId.ToString("D")}", FollowFallback: Fallback, Model: Model,
            OnLimit: OnLimit, MaxWait: MaxWait, MaxWindows: MaxWindows,
            ConcurrencyKey: ConcurrencyKey, ConcurrencyLimit: ConcurrencyLimit, ConcurrencyStrategy: ConcurrencyStrategy,
            MaxCostUsd: MaxCostUsd, MaxTokens: MaxTokens, OnBudget: OnBudget);
    }
}
