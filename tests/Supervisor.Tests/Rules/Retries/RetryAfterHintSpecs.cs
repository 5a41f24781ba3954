using Supervisor.Rules.Retries;

namespace Supervisor.Tests.Rules.Retries;

public sealed class RetryAfterHintSpecs
{
    [Theory]
    [InlineData("< Retry-After: 30", 30_000)]
    [InlineData("""{"error":{"details":[{"retryDelay":"45s"}]}}""", 45_000)]
    [InlineData("Please try again in 2m.", 120_000)]
    [InlineData("rate limited; retry in 1.5 seconds", 1_500)]
    [InlineData("retry-after=250ms", 250)]
    [InlineData("retry in 1500 milliseconds", 1_500)]
    [InlineData("try again in 3 minutes", 180_000)]
    public void A_hint_in_a_header_a_json_field_or_prose_is_read_with_its_unit(string text, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), RetryAfterHint.In(text));

    [Fact]
    public void The_longest_of_several_hints_counts() =>
        Assert.Equal(TimeSpan.FromSeconds(20), RetryAfterHint.In("retry-after: 5\nretry-after: 20\nretry-after: 10"));

    [Fact]
    public void Output_without_a_hint_has_none() =>
        Assert.Null(RetryAfterHint.In("429 Too Many Requests"));
}
