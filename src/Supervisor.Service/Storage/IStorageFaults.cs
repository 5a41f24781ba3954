namespace Supervisor.Service.Storage;

/// <summary>Which failures of the store a message is retried for (endpoint definitions ask; the store knows its exceptions).</summary>
public interface IStorageFaults
{
    /// <summary>
    /// A lost or refused connection, a lock conflict, or a duplicate insert that a retry resolves by reading the winner's
    /// row, wherever it sits in the exception chain.
    /// </summary>
    bool IsRetryable(Exception exception);

    /// <summary>Any failure the store's driver raised itself (not one wrapped in another exception).</summary>
    bool IsStoreError(Exception exception);
}
