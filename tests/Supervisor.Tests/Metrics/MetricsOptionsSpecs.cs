using Supervisor.Service.Metrics;

namespace Supervisor.Tests.Metrics;

/// <summary><c>Supervisor:Metrics</c>: each bad value refused, naming its key and the bounds.</summary>
public sealed class MetricsOptionsSpecs
{
    [Fact]
    public void The_defaults_are_valid() => Assert.Empty(new MetricsOptions().Validate());

    [Theory]
    [InlineData(0, null)]
    [InlineData(300, null)]
    [InlineData(-1, "Supervisor:Metrics:BrokerSampleInterval: must be between 0 and 5m")]
    [InlineData(301, "Supervisor:Metrics:BrokerSampleInterval: must be between 0 and 5m")]
    public void The_sample_interval_is_between_0_and_5_minutes(int seconds, string? error)
    {
        var errors = new MetricsOptions { BrokerSampleInterval = TimeSpan.FromSeconds(seconds) }.Validate();

        if (error is null)
            Assert.Empty(errors);
        else
            Assert.StartsWith(error, Assert.Single(errors), StringComparison.Ordinal);
    }
}
