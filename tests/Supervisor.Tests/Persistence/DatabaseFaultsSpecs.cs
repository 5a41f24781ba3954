using System.Net.Sockets;
using Npgsql;
using Supervisor.Service.Storage.Postgres;

namespace Supervisor.Tests.Persistence;

public sealed class DatabaseFaultsSpecs
{
    static NpgsqlException Refused() => new("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused));

    [Fact]
    public void A_refused_connection_is_retried_also_when_EF_Core_wraps_it() =>
        // what EF Core's non-retrying execution strategy throws for a transient Npgsql failure
        Assert.True(DatabaseFaults.IsRetryable(new InvalidOperationException("An exception has been raised that is likely due to a transient failure.", Refused())));

    [Fact]
    public void A_refused_connection_is_retried() => Assert.True(DatabaseFaults.IsRetryable(Refused()));

    [Fact]
    public void A_programming_error_is_not_retried()
    {
        Assert.False(DatabaseFaults.IsRetryable(new InvalidOperationException("Sequence contains no elements")));
        Assert.False(DatabaseFaults.IsRetryable(new NpgsqlException("bad syntax")));
    }
}
