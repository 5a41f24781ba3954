using Supervisor.Cli;
using Supervisor.Cli.Api;
using Supervisor.Cli.Commands;

namespace Supervisor.Tests.Cli;

/// <summary>
/// How a schedule command's ID finds its schedule: a GUID as it is, else a unique id prefix or a name among those listed.
/// </summary>
public sealed class ScheduleIdArgumentSpecs
{
    static readonly IReadOnlyList<ScheduleSummary> Schedules = [Summary("5c0ffee0-1111-4a4a-8b8b-000000000001", "nightly-deps"),
        Summary("abcd0123-2222-4a4a-8b8b-000000000002", null), Summary("abcd4567-3333-4a4a-8b8b-000000000003", "abcd")];

    [Fact]
    public void A_GUID_is_taken_as_it_is_even_if_no_listed_schedule_has_it()
    {
        const string id = "0b5e0000-ab12-0015-08dd-4b0f9c1e2d3a";

        Assert.Equal(Guid.Parse(id), ScheduleIdArgument.Resolve(id, []));
    }

    [Theory]
    [InlineData("5c0f")]
    [InlineData("5C0FFEE0")]
    [InlineData("5c0ffee0-1111")]
    [InlineData("5c0ffee011114a4a")]
    public void A_prefix_of_4_or_more_hex_characters_names_the_one_schedule_whose_id_starts_with_it(string prefix) =>
        Assert.Equal(Schedules[0].Id, ScheduleIdArgument.Resolve(prefix, Schedules));

    [Fact]
    public void A_name_names_its_schedule() =>
        Assert.Equal(Schedules[0].Id, ScheduleIdArgument.Resolve("nightly-deps", Schedules));

    [Fact]
    public void A_prefix_several_ids_start_with_is_ambiguous_and_lists_them()
    {
        IReadOnlyList<ScheduleSummary> schedules = [Schedules[1], Summary("abcd0999-0000-0000-0000-000000000000", "x")];

        var error = Assert.Throws<UsageException>(() => ScheduleIdArgument.Resolve("abcd0", schedules));

        Assert.Equal("'abcd0' matches 2 schedules (abcd0123-2222…, abcd0999-0000… 'x'); give more characters", error.Message);
    }

    [Fact]
    public void A_name_that_starts_another_schedules_id_is_ambiguous_rather_than_taken()
    {
        var error = Assert.Throws<UsageException>(() => ScheduleIdArgument.Resolve("abcd", Schedules));

        Assert.Equal("'abcd' is the name of schedule abcd4567-3333… and the start of the id of abcd0123-2222…; give the full id",
            error.Message);
    }

    [Theory]
    [InlineData("nightly")]
    [InlineData("5c0")]
    [InlineData("ffff")]
    public void What_names_no_schedule_is_not_found(string text)
    {
        var error = Assert.Throws<ScheduleNotFoundException>(() => ScheduleIdArgument.Resolve(text, Schedules));

        Assert.Equal($"no schedule is named '{text}' or has an id starting with it", error.Message);
    }

    [Fact]
    public void Not_found_among_as_many_schedules_as_are_searched_says_only_the_newest_were()
    {
        var many = Enumerable.Range(0, ScheduleIdArgument.Searched).Select(_ => Summary(Guid.NewGuid().ToString(), null)).ToList();

        var error = Assert.Throws<ScheduleNotFoundException>(() => ScheduleIdArgument.Resolve("nightly", many));

        Assert.StartsWith("none of the newest 1000 schedules", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bad id!")]
    [InlineData("-starts-with-a-dash")]
    [InlineData("")]
    public void An_ID_that_is_neither_a_GUID_nor_a_name_is_a_usage_error(string text)
    {
        var parse = SupervisorCli.Build().Parse(["schedule", "show", text]);

        Assert.Contains(parse.Errors, e => e.Message.Contains("is neither a schedule id nor a schedule name", StringComparison.Ordinal));
    }

    static ScheduleSummary Summary(string id, string? name) =>
        new(Guid.Parse(id), name, "0 3 * * *", null, "UTC", "skip", Paused: false, LastFireAt: null, NextFireAt: null, OpenTasks: 0);
}
