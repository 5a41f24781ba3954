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

        Assert.Equal(StartCheckFailure.NotSent, StartCheckFailures.Of(failure));
    }

    [Fact]
    public void A_check_without_an_answer_in_time_is_unanswered()
    {
        Assert.Equal(StartCheckFailure.Unanswered, StartCheckFailures.Of(new RequestTimeoutException("timed out")));
    }

    [Fact]
    public void A_check_the_service_failed_to_handle_is_a_service_fault()
    {
        Assert.Equal(StartCheckFailure.ServiceFault, StartCheckFailures.Of(new RequestFaultException()));
    }

    [Fact]
    public void A_failure_that_is_not_the_broker_fails_the_job()
    {
        Assert.Null(StartCheckFailures.Of(new RequestException("bad request", new InvalidOperationException("cannot serialize"))));
        Assert.Null(StartCheckFailures.Of(new InvalidOperationException("a bug")));
    }
}
