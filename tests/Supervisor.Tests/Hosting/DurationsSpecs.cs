using Microsoft.Extensions.Configuration;
using Supervisor.Settings;

namespace Supervisor.Tests.Hosting;

public sealed class DurationsSpecs
{
    public static TheoryData<string, TimeSpan> Written => new()
    {
        { "250ms", TimeSpan.FromMilliseconds(250) },
        { "30s", TimeSpan.FromSeconds(30) },
        { "5m", TimeSpan.FromMinutes(5) },
        { "1h", TimeSpan.FromHours(1) },
        { "2d", TimeSpan.FromDays(2) },
        { "1.5s", TimeSpan.FromMilliseconds(1500) },
        { "1m30s", TimeSpan.FromSeconds(90) },
        { "1h 15m", TimeSpan.FromMinutes(75) },
        { "1s500ms", TimeSpan.FromMilliseconds(1500) },
        { " 30s ", TimeSpan.FromSeconds(30) },
        { "0s", TimeSpan.Zero },
        { "00:00:30", TimeSpan.FromSeconds(30) },
        { "00:00:00.3", TimeSpan.FromMilliseconds(300) },
        { "01:30", TimeSpan.FromMinutes(90) },
        { "1.02:00:00", TimeSpan.FromHours(26) },
        { "-00:00:05", TimeSpan.FromSeconds(-5) },
    };

    [Theory]
    [MemberData(nameof(Written))]
    public void Each_written_form_reads_as_its_duration(string text, TimeSpan expected) =>
        Assert.Equal(expected, Durations.Parse(text));

    [Theory]
    [InlineData("2")]
    [InlineData("0")]
    [InlineData("2.5")]
    public void A_bare_number_is_refused_with_how_to_write_it(string text)
    {
        Assert.False(Durations.TryParse(text, out _, out var error));

        Assert.Contains($"'{text}' has no unit", error, StringComparison.Ordinal);
        Assert.Contains($"write {text}s for seconds", error, StringComparison.Ordinal);
        Assert.Contains("00:00:30", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("30x")]
    [InlineData("s")]
    [InlineData("5min")]
    [InlineData("1..5s")]
    [InlineData("00:99:zz")]
    public void Anything_else_is_refused_naming_the_forms(string text)
    {
        Assert.False(Durations.TryParse(text, out _, out var error));

        Assert.Contains($"'{text}' is not a duration", error, StringComparison.Ordinal);
        Assert.Contains(Durations.Forms, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("30s1m")]
    [InlineData("1m1m")]
    public void Units_come_once_each_from_the_largest_down(string text)
    {
        Assert.False(Durations.TryParse(text, out _, out var error));

        Assert.Contains("from the largest down", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData(null)]
    public void No_text_is_no_duration(string? text)
    {
        Assert.False(Durations.TryParse(text, out _, out var error));

        Assert.StartsWith("no duration given", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_throws_a_format_exception_saying_how_to_write_it() =>
        Assert.Contains("write 2s", Assert.Throws<FormatException>(() => Durations.Parse("2")).Message, StringComparison.Ordinal);

    [Fact]
    public void The_converter_still_reads_a_bare_number_as_days_for_other_libraries()
    {
        DurationConverter.Register();

        Assert.Equal(TimeSpan.FromDays(2), System.ComponentModel.TypeDescriptor.GetConverter(typeof(TimeSpan)).ConvertFromInvariantString("2"));
    }

    [Fact]
    public void The_configuration_binder_reads_every_TimeSpan_through_the_registered_converter()
    {
        DurationConverter.Register();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sample:Timeout"] = "1m30s",
            ["Sample:Optional"] = "250ms",
            ["Sample:Intervals:0"] = "5s",
            ["Sample:Intervals:1"] = "00:00:15",
        }).Build();

        var sample = configuration.GetSection("Sample").Get<SampleOptions>()!;

        Assert.Equal(TimeSpan.FromSeconds(90), sample.Timeout);
        Assert.Equal(TimeSpan.FromMilliseconds(250), sample.Optional);
        Assert.Equal([TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)], sample.Intervals);
    }
}

/// <summary>Stands for any options class with durations (single, optional, a list, inside a dictionary).</summary>
public sealed class SampleOptions : IValidatedOptions
{
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan? Optional { get; set; }

    public List<TimeSpan> Intervals { get; set; } = [];

    public Dictionary<string, SampleOptions> Nested { get; set; } = [];

    public IReadOnlyList<string> Validate() =>
        Timeout > TimeSpan.FromHours(1) ? ["Sample:Timeout: must be at most 1h."] : [];
}
