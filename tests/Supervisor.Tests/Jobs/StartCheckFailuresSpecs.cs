using MassTransit;
using Supervisor.Worker.Jobs;

namespace Supervisor.Tests.Jobs;

public sealed class StartCheckFailuresSpecs
{
    [Fact]
    public void A_check_whose_send_failed_on_a_disposed_channel_was_not_sent_and_is_asked_again()
    {
        var failure = new RequestException("An exception occurred while processing the AttemptStartRequest request",
            new ObjectDisposedException("System.Threading.SemaphoreSlim"));

        Assert.Equal(StartCheckFailure.NotSent, StartCheckFailures.Of(failure, CancellationToken.None));
    }

    [Fact]
    public void A_check_without_an_answer_in_time_is_unanswered()
    {
        Assert.Equal(StartCheckFailure.Unanswered, StartCheckFailures.Of(new RequestTimeoutException("timed out"), CancellationToken.None));
    }

    [Fact]
    public void A_check_the_service_failed_to_handle_is_a_service_fault()
    {
        Assert.Equal(StartCheckFailure.ServiceFault, StartCheckFailures.Of(new RequestFaultException(), CancellationToken.None));
    }

    [Fact]
    public void A_failure_that_is_not_the_broker_fails_the_job()
    {
        Assert.Null(StartCheckFailures.Of(new RequestException("bad request", new InvalidOperationException("cannot serialize")), CancellationToken.None));
        Assert.Null(StartCheckFailures.Of(new InvalidOperationException("a bug"), CancellationToken.None));
    }

    [Fact]
    public void A_check_whose_send_MassTransit_gave_up_on_was_not_sent()
    {
        var failure = new RequestCanceledException(Guid.NewGuid().ToString("D"), new OperationCanceledException(), CancellationToken.None);

        Assert.Equal(StartCheckFailure.NotSent, StartCheckFailures.Of(failure, CancellationToken.None));
    }

    [Fact]
    public void A_check_cancelled_because_the_delivery_was_is_not_asked_again()
    {
        using var stopping = new CancellationTokenSource();
        stopping.Cancel();

        Assert.Null(StartCheckFailures.Of(new RequestCanceledException(Guid.NewGuid().ToString("D"), new OperationCanceledException(), CancellationToken.None), stopping.Token));
    }
}
