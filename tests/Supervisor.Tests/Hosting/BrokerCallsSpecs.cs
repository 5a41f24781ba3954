using Microsoft.Extensions.Logging.Abstractions;
using Supervisor.Hosting;

namespace Supervisor.Tests.Hosting;

public sealed class BrokerCallsSpecs
{
    [Fact]
    public async Task A_call_that_fails_because_the_channel_went_away_is_made_again()
    {
        var calls = 0;

        await BrokerCalls.RetryAsync(_ => ++calls == 1 ? throw new ObjectDisposedException("SemaphoreSlim") : Task.CompletedTask,
            "publish", NullLogger.Instance, CancellationToken.None);

        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task Any_other_failure_throws_at_once()
    {
        var calls = 0;

        await Assert.ThrowsAsync<InvalidOperationException>(() => BrokerCalls.RetryAsync(_ =>
        {
            calls++;
            throw new InvalidOperationException("the message cannot be serialized");
        }, "publish", NullLogger.Instance, CancellationToken.None));

        Assert.Equal(1, calls);
    }

    [Fact]
    public void Broker_faults_are_recognised_also_when_wrapped() =>
        Assert.True(BrokerCalls.IsBrokerFault(new InvalidOperationException("send failed", new IOException("connection reset"))));
}
