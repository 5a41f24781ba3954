using Supervisor.Rules.Limits;
using static Supervisor.Tests.Rules.Limits.Accounts;

namespace Supervisor.Tests.Rules.Limits;

/// <summary>How the planner's messages write durations and times.</summary>
public sealed class LimitTextSpecs
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(-5, "0s")]
    [InlineData(0.0004, "0s")]
    [InlineData(1.5, "1.5s")]
    [InlineData(45, "45s")]
    [InlineData(900, "15m")]
    [InlineData(905, "15m5s")]
    [InlineData(5400, "1h30m")]
    [InlineData(3605, "1h5s")]
    [InlineData(183600, "2d3h")]
    public void Durations_are_written_as_a_person_writes_them(double seconds, string text) =>
        Assert.Equal(text, LimitText.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void A_time_of_today_is_its_time_of_day_and_another_day_s_has_its_date()
    {
        Assert.Equal("14:05:00Z", LimitText.Time(At("14:05:00"), Now));
        Assert.Equal("2025-06-03T00:00:00Z", LimitText.Time(At("1.00:00:00"), Now));
    }
}
