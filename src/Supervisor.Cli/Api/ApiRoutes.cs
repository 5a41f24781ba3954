namespace Supervisor.Cli.Api;

/// <summary>A route of the API as the CLI calls it: its method and its template (relative, parameters in braces).</summary>
sealed record ApiRoute(HttpMethod Method, string Template)
{
    /// <summary>The template with each <c>{name}</c> replaced by its (escaped) value, e.g. <c>api/tasks/3f2c…/logs</c>.</summary>
    public string Path(params (string Name, string Value)[] values)
    {
        var path = Template;
        foreach (var (name, value) in values)
        {
            path = path.Replace("{" + name + "}", Uri.EscapeDataString(value), StringComparison.Ordinal);
        }

        return path;
    }
}

/// <summary>
/// Every route the CLI calls, in one place: <see cref="ApiClient"/> builds each request from one of these, and an
/// integration test checks that each is an operation of the service's OpenAPI document.
/// </summary>
static class ApiRoutes
{
    public static readonly ApiRoute SubmitTask = new(HttpMethod.Post, "api/tasks");

    public static readonly ApiRoute ListTasks = new(HttpMethod.Get, "api/tasks");

    public static readonly ApiRoute GetTask = new(HttpMethod.Get, "api/tasks/{id}");

    /// <summary>The stored output, or (with <c>follow=true</c>) the stream of it.</summary>
    public static readonly ApiRoute GetTaskLogs = new(HttpMethod.Get, "api/tasks/{id}/logs");

    public static readonly ApiRoute ListAgents = new(HttpMethod.Get, "api/agents");

    /// <summary>One provider account; its id's slashes are escaped by <see cref="ApiRoute.Path"/>.</summary>
    public static readonly ApiRoute GetAccount = new(HttpMethod.Get, "api/accounts/{id}");

    /// <summary>Set or clear an account's daily and monthly budgets.</summary>
    public static readonly ApiRoute SetAccountBudget = new(HttpMethod.Post, "api/accounts/{id}/budget");

    /// <summary>The error and skipped queues, with <c>queue=</c> and <c>limit=</c>.</summary>
    public static readonly ApiRoute ListDeadLetters = new(HttpMethod.Get, "api/dead-letters");

    public static readonly ApiRoute RedriveDeadLetters = new(HttpMethod.Post, "api/dead-letters/redrive");

    public static readonly ApiRoute PurgeDeadLetters = new(HttpMethod.Post, "api/dead-letters/purge");

    /// <summary>The operator's verbs (<c>supervisor cancel|pause|… ID</c>), one route each.</summary>
    public static readonly IReadOnlyDictionary<string, ApiRoute> TaskActions =
        new[] { "cancel", "pause", "resume", "approve", "reject", "retry" }
            .ToDictionary(verb => verb, verb => new ApiRoute(HttpMethod.Post, $"api/tasks/{{id}}/{verb}"), StringComparer.Ordinal);

    /// <summary>Sets a task's budget; a task its budget held goes on when it is raised.</summary>
    public static readonly ApiRoute SetTaskBudget = new(HttpMethod.Post, "api/tasks/{id}/budget");

    public static readonly ApiRoute CreateSchedule = new(HttpMethod.Post, "api/schedules");

    /// <summary>Summaries of the schedules, newest first, with <c>limit=</c> (1–1000, default 100).</summary>
    public static readonly ApiRoute ListSchedules = new(HttpMethod.Get, "api/schedules");

    public static readonly ApiRoute GetSchedule = new(HttpMethod.Get, "api/schedules/{id}");

    public static readonly ApiRoute DeleteSchedule = new(HttpMethod.Delete, "api/schedules/{id}");

    /// <summary>The tasks a schedule made, as <see cref="ListTasks"/> lists them, with <c>limit=</c>.</summary>
    public static readonly ApiRoute ListScheduleTasks = new(HttpMethod.Get, "api/schedules/{id}/tasks");

    /// <summary>Fire now, under the schedule's overlap policy or the one given.</summary>
    public static readonly ApiRoute TriggerSchedule = new(HttpMethod.Post, "api/schedules/{id}/trigger");

    /// <summary><c>supervisor schedule pause|resume ID</c>, one route each.</summary>
    public static readonly IReadOnlyDictionary<string, ApiRoute> ScheduleActions =
        new[] { "pause", "resume" }
            .ToDictionary(verb => verb, verb => new ApiRoute(HttpMethod.Post, $"api/schedules/{{id}}/{verb}"), StringComparer.Ordinal);

    public static IEnumerable<ApiRoute> All =>
    [
        SubmitTask, ListTasks, GetTask, GetTaskLogs, ListAgents, GetAccount, SetAccountBudget, ListDeadLetters, RedriveDeadLetters, PurgeDeadLetters,
        .. TaskActions.Values,
        SetTaskBudget,
        CreateSchedule, ListSchedules, GetSchedule, DeleteSchedule, ListScheduleTasks, TriggerSchedule, .. ScheduleActions.Values,
    ];
}
