using Supervisor.Service.Fleet;

namespace Supervisor.Tests.Fleet;

/// <summary><c>Supervisor:Fleet</c>: each bad value refused, naming its key and the bounds.</summary>
public sealed class FleetOptionsSpecs
{
    [Fact]
    public void The_defaults_are_valid() => Assert.Empty(new FleetOptions().Validate());

    [Theory]
    [InlineData(2, 20, "Supervisor:Fleet:LostAfter: must be between 3s and 1h")]
    [InlineData(8, -1, "Supervisor:Fleet:ReconnectGrace: must be between 0 and 1h")]
    [InlineData(8, 3601, "Supervisor:Fleet:ReconnectGrace: must be between 0 and 1h")]
    public void A_bad_value_names_its_key(int lostAfterSeconds, int graceSeconds, string error)
    {
        var errors = new FleetOptions { LostAfter = TimeSpan.FromSeconds(lostAfterSeconds), ReconnectGrace = TimeSpan.FromSeconds(graceSeconds) }.Validate();

        Assert.StartsWith(error, Assert.Single(errors), StringComparison.Ordinal);
    }
}
