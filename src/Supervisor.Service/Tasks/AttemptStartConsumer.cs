using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Hosting;
using Supervisor.Service.Fleet;

namespace Supervisor.Service.Tasks;

/// <summary>
/// Answers a worker about to start an attempt: only a task that is active and still on the job's pass wants it, and
/// only one worker may run each attempt. Reads the committed state, not the saga's queue, so answering costs an indexed
/// read and one insert.
/// </summary>
/// <remarks>
/// The broker redelivers a job whose acknowledgement was lost (a dropped connection, a restarted broker) with the same
/// attempt number, possibly while its first run is still going or its result is still queued. The first worker's claim
/// makes the second wait: for the result (then it drops the job, the attempt has run), or until the first worker is
/// lost (then it takes the claim over and runs the attempt). A claim whose answer never reached its worker is that
/// delivery's again when it asks again under the same claim id, and is freed when the worker gives the delivery up
/// before running it (<see cref="ReleaseAttemptClaim"/>).
/// </remarks>
public sealed partial class AttemptStartConsumer(NpgsqlDataSource dataSource, IOptions<FleetOptions> fleet, TimeProvider clock,
    ILogger<AttemptStartConsumer> logger) : IConsumer<AttemptStartRequest>, IConsumer<ReleaseAttemptClaim>
{
    static readonly string[] Active = [TaskStates.Dispatched, TaskStates.Running, TaskStates.RetryScheduled];

    /// <summary>How often a waiting worker asks again.</summary>
    const double AskAgainSeconds = 2;

    /// <summary>A holder that is alive but no longer running the attempt has this long for its result to be recorded.</summary>
    static readonly TimeSpan ResultGrace = TimeSpan.FromMinutes(2);

    public async Task Consume(ConsumeContext<AttemptStartRequest> context)
    {
        var answer = await AnswerAsync(context.Message, context.CancellationToken);
        // The worker waits StartCheckTimeoutSeconds (10 s by default) and then starts anyway: a reply that hangs (see
        // BrokerCalls) is given up after that long rather than holding this endpoint.
        await BrokerCalls.Once(_ => context.RespondAsync(answer), TimeSpan.FromSeconds(10), context.CancellationToken);
    }

    async Task<AttemptStartResponse> AnswerAsync(AttemptStartRequest request, CancellationToken cancellationToken)
    {
        var claims = request.Attempt > 0 && !string.IsNullOrEmpty(request.Worker);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

        // One round trip for the usual case: the task's state, and the claim taken when the task wants this job.
        await using (var check = new NpgsqlCommand("""
            WITH task AS (SELECT state, pass FROM tasks WHERE id = $1),
            claim AS (
                INSERT INTO attempt_claims (task_id, attempt, pass, worker, claimed_at, claim)
                SELECT $1, $2, $3, $4, $5, $6 FROM task WHERE $7 AND task.state = ANY($8) AND task.pass = $3
                ON CONFLICT (task_id, attempt) DO NOTHING
                RETURNING 1)
            SELECT task.state, task.pass, EXISTS (SELECT 1 FROM claim) FROM task
            """, connection))
        {
            AddParameters(check, request, now);
            check.Parameters.Add(new NpgsqlParameter { Value = claims });
            check.Parameters.Add(new NpgsqlParameter { Value = Active });
            await using var reader = await check.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
                return new AttemptStartResponse(request.TaskId, false, null, "the task does not exist");
            var (state, pass, claimed) = (reader.GetString(0), reader.GetInt32(1), reader.GetBoolean(2));
            if (!Active.Contains(state))
                return new AttemptStartResponse(request.TaskId, false, state, $"the task is {state}");
            if (pass != request.Pass)
                return new AttemptStartResponse(request.TaskId, false, state, $"the task has moved on to pass {pass}");
            if (!claims || claimed)
                return new AttemptStartResponse(request.TaskId, true, state, null); // claimed, or a worker that does not claim attempts
            await reader.CloseAsync();
            return await HolderAnswerAsync(connection, request, state, now, cancellationToken);
        }
    }

    /// <summary>Another worker holds the attempt: wait for it, drop this copy, or take the attempt over.</summary>
    async Task<AttemptStartResponse> HolderAnswerAsync(NpgsqlConnection connection, AttemptStartRequest request, string state, DateTime now,
        CancellationToken cancellationToken)
    {
        // The holder's own record of the attempt (the saga writes it from the holder's events) and its latest heartbeat.
        await using var read = new NpgsqlCommand("""
            SELECT c.worker, a.finished_at IS NOT NULL, w.last_heartbeat,
                   coalesce(w.running @> jsonb_build_array(jsonb_build_object('taskId', c.task_id, 'attempt', c.attempt)), false),
                   coalesce(c.claim = $3, false)
            FROM attempt_claims c
            LEFT JOIN LATERAL (SELECT finished_at FROM task_attempts
                               WHERE task_id = c.task_id AND number = c.attempt AND worker = c.worker
                               ORDER BY started_at DESC NULLS LAST LIMIT 1) a ON true
            LEFT JOIN workers w ON w.id = c.worker
            WHERE c.task_id = $1 AND c.attempt = $2
            """, connection);
        read.Parameters.Add(new NpgsqlParameter { Value = request.TaskId });
        read.Parameters.Add(new NpgsqlParameter { Value = request.Attempt });
        read.Parameters.Add(ClaimParameter(request));
        string holder;
        bool finished, running, same;
        DateTime? heartbeat;
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
                return Wait(request, state, "the attempt's claim is being changed");
            holder = reader.GetString(0);
            finished = reader.GetBoolean(1);
            heartbeat = reader.IsDBNull(2) ? null : reader.GetDateTime(2);
            running = reader.GetBoolean(3);
            same = reader.GetBoolean(4);
        }

        // This delivery claimed the attempt and is still asking: the answer that granted it was lost.
        if (same && !finished)
            return new AttemptStartResponse(request.TaskId, true, state, $"attempt {request.Attempt} was claimed by this delivery already (its answer was lost)");

        if (finished)
            return new AttemptStartResponse(request.TaskId, false, state, $"attempt {request.Attempt} already ran on worker {holder}", Duplicate: true);

        // Everyone's heartbeats pause while the broker is away: judge a holder only after waiting longer than a heartbeat gap.
        var lostAfter = fleet.Value.LostAfter;
        var waited = TimeSpan.FromSeconds(request.WaitedSeconds);
        var alive = heartbeat is { } beat && now - beat <= lostAfter;
        if (waited < lostAfter || (alive && running) || (alive && waited < ResultGrace))
            return Wait(request, state, $"attempt {request.Attempt} is held by worker {holder}" + (running ? ", which is running it" : ""));

        await using var takeOver = new NpgsqlCommand(
            "UPDATE attempt_claims SET worker = $4, claimed_at = $5, claim = $6, pass = $3 WHERE task_id = $1 AND attempt = $2 AND worker = $7",
            connection);
        AddParameters(takeOver, request, now);
        takeOver.Parameters.Add(new NpgsqlParameter { Value = holder });
        return await takeOver.ExecuteNonQueryAsync(cancellationToken) == 1
            ? new AttemptStartResponse(request.TaskId, true, state, $"took attempt {request.Attempt} over from worker {holder}, " + (alive ? "which never reported its result" : "which is lost"))
            : Wait(request, state, "another worker took the attempt over");
    }

    static AttemptStartResponse Wait(AttemptStartRequest request, string state, string reason) =>
        new(request.TaskId, false, state, reason, AskAgainSeconds);

    /// <summary>$1 task, $2 attempt, $3 pass, $4 worker, $5 now, $6 claim id.</summary>
    static void AddParameters(NpgsqlCommand command, AttemptStartRequest request, DateTime now)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = request.TaskId });
        command.Parameters.Add(new NpgsqlParameter { Value = request.Attempt });
        command.Parameters.Add(new NpgsqlParameter { Value = request.Pass });
        command.Parameters.Add(new NpgsqlParameter { Value = request.Worker ?? "" });
        command.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(ClaimParameter(request));
    }

    /// <summary>The request's claim id, or NULL from a worker that names none.</summary>
    static NpgsqlParameter ClaimParameter(AttemptStartRequest request) =>
        new() { Value = (object?)request.Claim ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid };

    /// <summary>Frees the claim made under the release's id, if one was: never another delivery's, even of the same worker.</summary>
    public async Task Consume(ConsumeContext<ReleaseAttemptClaim> context)
    {
        var release = context.Message;
        await using var command = dataSource.CreateCommand("DELETE FROM attempt_claims WHERE task_id = $1 AND attempt = $2 AND claim = $3");
        command.Parameters.Add(new NpgsqlParameter { Value = release.TaskId });
        command.Parameters.Add(new NpgsqlParameter { Value = release.Attempt });
        command.Parameters.Add(new NpgsqlParameter { Value = release.Claim });
        if (await command.ExecuteNonQueryAsync(context.CancellationToken) == 1)
            LogReleased(release.TaskId, release.Attempt, release.Worker);
    }

    [LoggerMessage(LogLevel.Information, "Task {TaskId}: worker {Worker} gave up its claim of attempt {Attempt} before running it")]
    partial void LogReleased(Guid taskId, int attempt, string worker);
}

public sealed class AttemptStartConsumerDefinition : ConsumerDefinition<AttemptStartConsumer>
{
    public AttemptStartConsumerDefinition()
    {
        EndpointName = AgentQueues.StartCheck;
        ConcurrentMessageLimit = 16;
    }

    // A short retry only: the worker waits about ten seconds for the answer and then starts anyway.
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<AttemptStartConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(r => r.Intervals(100, 500, 1000, 2000));
}
