using Supervisor.Worker.Jobs;

namespace Supervisor.Tests.Jobs;

public sealed class IdleWatchSpecs
{
    [Fact]
    public async Task A_run_without_a_sign_of_life_for_the_limit_is_stalled()
    {
        using var watch = new IdleWatch(TimeSpan.FromMilliseconds(200), TimeProvider.System);
        watch.Touch();

        // Bounded by the test, not asserted on.
        await Task.Delay(Timeout.Infinite, watch.Stalled).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(watch.HasStalled);
    }

    [Fact]
    public void Without_a_limit_a_run_never_stalls()
    {
        using var watch = new IdleWatch(null, TimeProvider.System);

        Assert.False(watch.Stalled.CanBeCanceled && watch.HasStalled);
        Assert.Null(watch.Limit);
    }
}
