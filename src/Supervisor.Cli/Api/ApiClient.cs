using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Supervisor.Cli.Api;

/// <summary>A body as the CLI reads it, with the JSON exactly as the API sent it (for <c>--json</c>).</summary>
sealed record ApiResponse<T>(T Value, string Json);

/// <summary>Typed client of the service's HTTP API. Every failure surfaces as one of the exceptions in ApiExceptions.cs.</summary>
sealed class ApiClient : IDisposable
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new UtcDateTimeOffsetConverter() },
    };

    // Reads are quick; a service that takes longer than this is stuck, and the user should hear about it.
    static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    readonly HttpClient _http;

    public ApiClient(Uri baseUri, string? token, string? caCertificate = null)
    {
        BaseUri = baseUri;
        _http = new HttpClient(ApiTrust.Handler(caCertificate)) { BaseAddress = baseUri, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("supervisor-cli", typeof(ApiClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Uri BaseUri { get; }

    public Task<ApiResponse<TaskAccepted>> SubmitAsync(SubmitRequest request, CancellationToken ct) =>
        SendAsync<TaskAccepted>(ApiRoutes.SubmitTask, ApiRoutes.SubmitTask.Path(), request, notFound: null, ct);

    /// <summary>
    /// The newest tasks first: of <paramref name="state"/>, starting with <paramref name="idPrefix"/>, only the parked ones
    /// (<paramref name="waiting"/>), and only those that pass <paramref name="filter"/> (agent, label, prompt text).
    /// </summary>
    public Task<ApiResponse<IReadOnlyList<TaskSummary>>> ListTasksAsync(
        string? state, int? limit, CancellationToken ct, string? idPrefix = null, bool waiting = false, TaskListFilter? filter = null) =>
        SendAsync<IReadOnlyList<TaskSummary>>(ApiRoutes.ListTasks, ListTasksPath(state, limit, idPrefix, waiting, filter), body: null, notFound: null, ct);

    /// <summary>The path and query of <see cref="ListTasksAsync"/>: only the filters given.</summary>
    internal static string ListTasksPath(string? state, int? limit, string? idPrefix, bool waiting, TaskListFilter? filter = null)
    {
        var query = new List<string>();
        foreach (var (name, value) in new[] { ("agent", filter?.Agent), ("label", filter?.Label), ("text", filter?.Text) })
        {
            if (value is not null)
            {
                query.Add(name + "=" + Uri.EscapeDataString(value));
            }
        }

        if (idPrefix is not null)
        {
            query.Add("idPrefix=" + Uri.EscapeDataString(idPrefix));
        }

        if (state is not null)
        {
            query.Add("state=" + Uri.EscapeDataString(state));
        }

        if (waiting)
        {
            query.Add("waiting=true");
        }

        if (limit is not null)
        {
            query.Add("limit=" + limit.Value);
        }

        return ApiRoutes.ListTasks.Path() + (query.Count == 0 ? "" : "?" + string.Join('&', query));
    }

    public Task<ApiResponse<TaskDetail>> GetTaskAsync(Guid id, CancellationToken ct) =>
        SendAsync<TaskDetail>(ApiRoutes.GetTask, ApiRoutes.GetTask.Path(("id", id.ToString())), body: null, TaskNotFound(id), ct);

    public Task<ApiResponse<IReadOnlyList<LogChunkView>>> GetLogsAsync(Guid id, CancellationToken ct) =>
        SendAsync<IReadOnlyList<LogChunkView>>(ApiRoutes.GetTaskLogs, ApiRoutes.GetTaskLogs.Path(("id", id.ToString())), body: null, TaskNotFound(id), ct);

    public Task<ApiResponse<TaskAccepted>> ActAsync(Guid id, string verb, TaskActionRequest request, CancellationToken ct) =>
        SendAsync<TaskAccepted>(ApiRoutes.TaskActions[verb], ApiRoutes.TaskActions[verb].Path(("id", id.ToString())), request, TaskNotFound(id), ct);

    public Task<ApiResponse<TaskBudgetAccepted>> SetBudgetAsync(Guid id, TaskBudgetRequest request, CancellationToken ct) =>
        SendAsync<TaskBudgetAccepted>(ApiRoutes.SetTaskBudget, ApiRoutes.SetTaskBudget.Path(("id", id.ToString())), request, TaskNotFound(id), ct);

    public Task<ApiResponse<IReadOnlyList<AgentView>>> GetAgentsAsync(CancellationToken ct) =>
        SendAsync<IReadOnlyList<AgentView>>(ApiRoutes.ListAgents, ApiRoutes.ListAgents.Path(), body: null, notFound: null, ct);

    public Task<ApiResponse<AccountDetail>> GetAccountAsync(string id, CancellationToken ct) =>
        SendAsync<AccountDetail>(ApiRoutes.GetAccount, ApiRoutes.GetAccount.Path(("id", id)), body: null, notFound: null, ct);

    /// <summary><paramref name="body"/> is a JSON object: its nulls (back to the configured budget) are sent, unlike a record's.</summary>
    public Task<ApiResponse<AccountDetail>> SetAccountBudgetAsync(string id, System.Text.Json.Nodes.JsonObject body, CancellationToken ct) =>
        SendAsync<AccountDetail>(ApiRoutes.SetAccountBudget, ApiRoutes.SetAccountBudget.Path(("id", id)), body, notFound: null, ct);

    public Task<ApiResponse<IReadOnlyList<DeadLetterQueue>>> ListDeadLettersAsync(string? queue, int? limit, CancellationToken ct)
    {
        var query = new List<string>();
        if (queue is not null)
        {
            query.Add("queue=" + Uri.EscapeDataString(queue));
        }

        if (limit is not null)
        {
            query.Add("limit=" + limit.Value);
        }

        var path = ApiRoutes.ListDeadLetters.Path() + (query.Count == 0 ? "" : "?" + string.Join('&', query));
        return SendAsync<IReadOnlyList<DeadLetterQueue>>(ApiRoutes.ListDeadLetters, path, body: null, notFound: null, ct);
    }

    public Task<ApiResponse<DeadLetterOutcome>> ActOnDeadLettersAsync(ApiRoute route, DeadLetterRequest request, CancellationToken ct) =>
        SendAsync<DeadLetterOutcome>(route, route.Path(), request, notFound: null, ct);

    public Task<ApiResponse<ScheduleDetail>> CreateScheduleAsync(ScheduleRequest request, CancellationToken ct) =>
        SendAsync<ScheduleDetail>(ApiRoutes.CreateSchedule, ApiRoutes.CreateSchedule.Path(), request, notFound: null, ct);

    public Task<ApiResponse<IReadOnlyList<ScheduleSummary>>> ListSchedulesAsync(int? limit, CancellationToken ct) =>
        SendAsync<IReadOnlyList<ScheduleSummary>>(
            ApiRoutes.ListSchedules, ApiRoutes.ListSchedules.Path() + Limit(limit), body: null, notFound: null, ct);

    public Task<ApiResponse<ScheduleDetail>> GetScheduleAsync(Guid id, CancellationToken ct) =>
        SendAsync<ScheduleDetail>(ApiRoutes.GetSchedule, ScheduleId(ApiRoutes.GetSchedule, id), body: null, ScheduleNotFound(id), ct);

    public Task<ApiResponse<IReadOnlyList<TaskSummary>>> ListScheduleTasksAsync(Guid id, int? limit, CancellationToken ct) =>
        SendAsync<IReadOnlyList<TaskSummary>>(
            ApiRoutes.ListScheduleTasks, ScheduleId(ApiRoutes.ListScheduleTasks, id) + Limit(limit), body: null, ScheduleNotFound(id), ct);

    public Task DeleteScheduleAsync(Guid id, CancellationToken ct) =>
        SendCheckedAsync(ApiRoutes.DeleteSchedule, ScheduleId(ApiRoutes.DeleteSchedule, id), body: null, ScheduleNotFound(id), ct);

    public Task<ApiResponse<ScheduleDetail>> ActOnScheduleAsync(Guid id, string verb, ScheduleActionRequest request, CancellationToken ct)
    {
        var route = ApiRoutes.ScheduleActions[verb];
        return SendAsync<ScheduleDetail>(route, ScheduleId(route, id), request, ScheduleNotFound(id), ct);
    }

    public Task<ApiResponse<TriggerOutcome>> TriggerScheduleAsync(Guid id, TriggerRequest request, CancellationToken ct) =>
        SendAsync<TriggerOutcome>(ApiRoutes.TriggerSchedule, ScheduleId(ApiRoutes.TriggerSchedule, id), request, ScheduleNotFound(id), ct);

    /// <summary>Opens <c>GET /api/tasks/{id}/logs?follow=true</c>; the caller reads and disposes the stream.</summary>
    public async Task<LogStream> FollowLogsAsync(Guid id, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(ApiRoutes.GetTaskLogs.Method, ApiRoutes.GetTaskLogs.Path(("id", id.ToString())) + "?follow=true");
        request.Headers.Accept.Clear();
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json", 0.5));

        using var headersTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        headersTimeout.CancelAfter(RequestTimeout);
        var response = await SendCoreAsync(request, HttpCompletionOption.ResponseHeadersRead, headersTimeout.Token, ct);
        try
        {
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(headersTimeout.Token);
                throw Failure(response, body, TaskNotFound(id));
            }

            if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
            {
                return LogStream.Live(response, await response.Content.ReadAsStreamAsync(ct));
            }

            // A service without streaming answers the plain log list: show what there is rather than fail.
            var json = await response.Content.ReadAsStringAsync(headersTimeout.Token);
            response.Dispose();
            return LogStream.Snapshot(json);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public void Dispose() => _http.Dispose();

    async Task<ApiResponse<T>> SendAsync<T>(ApiRoute route, string path, object? body, Func<Exception>? notFound, CancellationToken ct)
    {
        var (status, text) = await SendCheckedAsync(route, path, body, notFound, ct);
        try
        {
            var value = JsonSerializer.Deserialize<T>(text, JsonOptions);
            return value is null
                ? throw new UnexpectedResponseException($"{route.Method} {path} answered {status} with an empty body")
                : new ApiResponse<T>(value, text);
        }
        catch (JsonException e)
        {
            throw new UnexpectedResponseException($"{route.Method} {path} answered with JSON the CLI cannot read: {e.Message}", e);
        }
    }

    /// <summary>Sends a request and returns the success status with the body's text; any other status throws.</summary>
    async Task<(int Status, string Text)> SendCheckedAsync(
        ApiRoute route, string path, object? body, Func<Exception>? notFound, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(RequestTimeout);
        using var request = new HttpRequestMessage(route.Method, path);
        if (body is not null)
        {
            // Buffered rather than JsonContent's chunked stream: a Content-Length passes every proxy.
            request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), JsonOptions))
            {
                Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } },
            };
        }

        using var response = await SendCoreAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token, ct);
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw TimedOut();
        }

        return response.IsSuccessStatusCode ? ((int)response.StatusCode, text) : throw Failure(response, text, notFound);
    }

    async Task<HttpResponseMessage> SendCoreAsync(
        HttpRequestMessage request, HttpCompletionOption completion, CancellationToken timeout, CancellationToken ct)
    {
        try
        {
            return await _http.SendAsync(request, completion, timeout);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw TimedOut();
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e);
        }
    }

    ServiceUnreachableException TimedOut() =>
        new($"the supervisor API at {BaseUri} did not answer within {RequestTimeout.TotalSeconds:0} s");

    ServiceUnreachableException Unreachable(HttpRequestException e)
    {
        var socketError = (e.InnerException as SocketException)?.SocketErrorCode;
        var reason = socketError switch
        {
            SocketError.ConnectionRefused => "connection refused",
            SocketError.HostNotFound or SocketError.NoData => "host not found",
            SocketError.TimedOut => "connection timed out",
            SocketError.NetworkUnreachable or SocketError.HostUnreachable => "network unreachable",
            _ => e.HttpRequestError == HttpRequestError.NameResolutionError ? "host not found" : e.Message,
        };
        var hint = socketError == SocketError.ConnectionRefused
            ? "is the service running? (--api or SUPERVISOR_API choose another address)"
            : "check --api or SUPERVISOR_API";
        return new ServiceUnreachableException($"cannot reach the supervisor API at {BaseUri} ({reason}); {hint}", e);
    }

    static Func<Exception> TaskNotFound(Guid id) => () => new TaskNotFoundException(id.ToString());

    static Func<Exception> ScheduleNotFound(Guid id) => () => ScheduleNotFoundException.Id(id);

    static string ScheduleId(ApiRoute route, Guid id) => route.Path(("id", id.ToString()));

    static string Limit(int? limit) => limit is null ? "" : "?limit=" + limit.Value;

    /// <summary>The exception for a failed answer; a 404 on a resource by id is <paramref name="notFound"/>'s.</summary>
    static Exception Failure(HttpResponseMessage response, string body, Func<Exception>? notFound)
    {
        var status = (int)response.StatusCode;
        if (response.StatusCode == HttpStatusCode.NotFound && notFound is not null)
        {
            return notFound();
        }

        var problem = TryReadProblem(body);
        var snippet = problem is null && body.Length > 0 ? Snippet(body) : null;
        return new ApiException(status, response.ReasonPhrase ?? response.StatusCode.ToString(), problem, snippet);
    }

    static Problem? TryReadProblem(string body)
    {
        if (!body.TrimStart().StartsWith('{'))
        {
            return null;
        }

        try
        {
            var problem = JsonSerializer.Deserialize<Problem>(body, JsonOptions);
            return problem is { Title: not null } or { Detail: not null } or { Errors: not null } ? problem : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static string Snippet(string body)
    {
        var oneLine = string.Join(' ', body.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return oneLine.Length <= 300 ? oneLine : oneLine[..300] + "…";
    }
}

/// <summary>What <c>supervisor list</c> narrows the list to, each part optional: an agent of the chain, a label (<c>key</c> or <c>key=value</c>), a part of the prompt.</summary>
public sealed record TaskListFilter(string? Agent, string? Label, string? Text);
