using Supervisor.Contracts;
using Supervisor.Worker.Jobs;

namespace Supervisor.Tests.Jobs;

public sealed class DeferredStartSpecs
{
    static readonly AgentJobStarted Started = new(Guid.NewGuid(), Guid.NewGuid(), 1, 1, 0, "shell", "w1", "host", null, DateTime.UtcNow);

    readonly List<AgentJobStarted> _published = [];
    readonly TaskCompletionSource _publishedOnce = new(TaskCreationOptions.RunContinuationsAsynchronously);

    DeferredStart Start(TimeSpan delay) => new(Started, delay, TimeProvider.System, started =>
    {
        lock (_published)
            _published.Add(started);
        _publishedOnce.TrySetResult();
        return Task.CompletedTask;
    });

    [Fact]
    public async Task An_attempt_that_ends_before_the_delay_carries_its_start_and_nothing_is_published()
    {
        var start = Start(TimeSpan.FromSeconds(30));

        Assert.Same(Started, await start.TakeAsync());
        await start.DisposeAsync();
        Assert.Empty(_published);
    }

    [Fact]
    public async Task An_attempt_that_outlives_the_delay_has_its_start_published_once_and_its_result_carries_none()
    {
        var start = Start(TimeSpan.FromMilliseconds(20));
        await _publishedOnce.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Null(await start.TakeAsync());
        await start.DisposeAsync();
        Assert.Equal([Started], _published);
    }

    [Fact]
    public async Task A_zero_delay_publishes_at_once()
    {
        var start = Start(TimeSpan.Zero);

        Assert.Null(await start.TakeAsync());
        Assert.Equal([Started], _published);
    }

    [Fact]
    public async Task A_start_that_cannot_be_published_on_the_way_out_does_not_replace_the_attempts_own_failure()
    {
        var start = new DeferredStart(Started, TimeSpan.FromSeconds(30), TimeProvider.System,
            _ => Task.FromException(new InvalidOperationException("no broker")));

        await start.DisposeAsync();
    }

    [Fact]
    public async Task An_attempt_that_ends_without_a_result_still_has_its_start_published()
    {
        var start = Start(TimeSpan.FromSeconds(30));

        await start.DisposeAsync();

        Assert.Equal([Started], _published);
    }
}
