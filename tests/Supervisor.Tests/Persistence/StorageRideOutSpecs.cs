using Supervisor.Service.Storage;

namespace Supervisor.Tests.Persistence;

public sealed class StorageRideOutSpecs
{
    [Fact]
    public void The_default_schedule_waits_out_at_least_30_minutes()
    {
        var waits = StorageRideOut.Schedule(TimeSpan.FromMilliseconds(50), new StorageOptions().RideOutFor);

        Assert.True(waits.Aggregate(TimeSpan.Zero, (a, b) => a + b) >= TimeSpan.FromMinutes(30));
    }

    [Fact]
    public void The_waits_double_from_the_first_then_stay_at_the_cap()
    {
        var waits = StorageRideOut.Schedule(TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(30));

        Assert.Equal([50, 100, 200, 400, 800], waits.Take(5).Select(w => w.TotalMilliseconds));
        Assert.All(waits, w => Assert.True(w <= StorageRideOut.Cap));
        Assert.Equal(StorageRideOut.Cap, waits[^1]);
        Assert.All(waits.Zip(waits.Skip(1)), pair => Assert.True(pair.Second >= pair.First));
    }

    [Fact]
    public void The_schedule_ends_once_its_waits_reach_the_ride_out_time()
    {
        var rideOutFor = TimeSpan.FromMinutes(30);
        var waits = StorageRideOut.Schedule(TimeSpan.FromMilliseconds(200), rideOutFor);

        var total = waits.Aggregate(TimeSpan.Zero, (a, b) => a + b);
        Assert.InRange(total, rideOutFor, rideOutFor + StorageRideOut.Cap);
    }

    [Fact]
    public void A_ride_out_below_a_minute_is_refused()
    {
        Assert.NotEmpty(new StorageOptions { RideOutFor = TimeSpan.FromSeconds(30) }.Validate());
        Assert.Empty(new StorageOptions().Validate());
    }
}
