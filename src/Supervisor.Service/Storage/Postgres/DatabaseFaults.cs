using Npgsql;

namespace Supervisor.Service.Storage.Postgres;

/// <summary>Which database failures are worth retrying a message for.</summary>
public static class DatabaseFaults
{
    static readonly string[] RetryableStates =
        [PostgresErrorCodes.UniqueViolation, PostgresErrorCodes.SerializationFailure, PostgresErrorCodes.DeadlockDetected];

    /// <summary>
    /// A lost or refused connection (PostgreSQL restarting or failing over), a lock conflict, or a duplicate insert that
    /// a retry resolves by reading the winner's row — wherever it sits in the exception chain: EF Core wraps a transient
    /// Npgsql failure in an <see cref="InvalidOperationException"/>, and a failed save in a DbUpdateException.
    /// </summary>
    public static bool IsRetryable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException postgres && RetryableStates.Contains(postgres.SqlState))
                return true;
            if (e is NpgsqlException { IsTransient: true } or TimeoutException)
                return true;
        }

        return false;
    }
}

/// <summary>The store's faults, as endpoint definitions ask for them.</summary>
sealed class PostgresStorageFaults : IStorageFaults
{
    public bool IsRetryable(Exception exception) => DatabaseFaults.IsRetryable(exception);

    public bool IsStoreError(Exception exception) => exception is NpgsqlException;
}
