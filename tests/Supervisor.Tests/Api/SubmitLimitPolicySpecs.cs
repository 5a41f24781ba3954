using Supervisor.Contracts;
using Supervisor.Service.Api;
using Supervisor.Service.Schedules;
using static Supervisor.Tests.Api.ShellSubmits;

namespace Supervisor.Tests.Api;

/// <summary>
/// A submit's limit policy (<c>onLimit</c>, <c>maxWait</c>, <c>maxWindows</c>) as <see cref="SubmitTaskValidator"/> judges
/// it: each bad value is an error naming its field and why, a good one reaches <see cref="SubmitTask"/>, also through a
/// schedule's stored template.
/// </summary>
public sealed class SubmitLimitPolicySpecs
{
    [Fact]
    public async Task A_task_that_leaves_the_policy_to_its_agent_is_valid() =>
        Assert.Empty(await ErrorsAsync(Request()));

    [Theory]
    [InlineData("wait")]
    [InlineData("fallback")]
    public async Task OnLimit_wait_or_fallback_is_valid(string onLimit) =>
        Assert.Empty(await ErrorsAsync(Request(onLimit: onLimit)));

    [Theory]
    [InlineData("retry")]
    [InlineData("Wait")]
    [InlineData("")]
    public async Task Any_other_onLimit_is_an_error_naming_onLimit(string onLimit) =>
        Assert.Equal([$"'{onLimit}' is not one of wait, fallback."], (await ErrorsAsync(Request(onLimit: onLimit)))["onLimit"]);

    [Theory]
    [InlineData("15m", 900)]
    [InlineData("1h30m", 5400)]
    [InlineData("0s", 0)]
    [InlineData("00:15:00", 900)]
    [InlineData("7d", 604_800)]
    public async Task MaxWait_is_read_as_every_duration_setting_is(string maxWait, int seconds)
    {
        var request = Request(maxWait: maxWait);

        Assert.Empty(await ErrorsAsync(request));
        Assert.Equal(TimeSpan.FromSeconds(seconds), SubmitTaskValidator.MaxWait(request));
    }

    [Theory]
    [InlineData("soon", "'soon' is not a duration")]
    [InlineData("15", "'15' has no unit: write 15s for seconds")]
    [InlineData("", "no duration given")]
    [InlineData("-5m", "'-5m' is not between 0s and 7d.")]
    [InlineData("7d1s", "'7d1s' is not between 0s and 7d.")]
    public async Task An_unreadable_or_out_of_range_maxWait_is_an_error_naming_maxWait(string maxWait, string reason)
    {
        var request = Request(maxWait: maxWait);

        Assert.StartsWith(reason, Assert.Single((await ErrorsAsync(request))["maxWait"]), StringComparison.Ordinal);
        Assert.Null(SubmitTaskValidator.MaxWait(request));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public async Task MaxWindows_from_1_to_100_is_valid(int maxWindows) =>
        Assert.Empty(await ErrorsAsync(Request(maxWindows: maxWindows)));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(101)]
    public async Task MaxWindows_out_of_range_is_an_error_naming_maxWindows(int maxWindows) =>
        Assert.Equal([$"{maxWindows} is not between 1 and 100."], (await ErrorsAsync(Request(maxWindows: maxWindows)))["maxWindows"]);

    [Fact]
    public async Task Every_bad_part_of_the_policy_is_named_at_once()
    {
        var errors = await ErrorsAsync(Request(onLimit: "later", maxWait: "forever", maxWindows: 0));

        Assert.Equal(["maxWait", "maxWindows", "onLimit"], errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_schedule_template_carries_the_policy_through_its_stored_JSON_into_each_submit()
    {
        var template = new TaskTemplate("make nightly", ["shell"], null, null, null, null, false, null,
            OnLimit: "fallback", MaxWait: TimeSpan.FromMinutes(90), MaxWindows: 3);

        var submit = TaskTemplate.FromJson(template.ToJson()).Submit(Guid.NewGuid(), Guid.NewGuid(), "nightly", DateTime.UtcNow);

        Assert.Equal(("fallback", TimeSpan.FromMinutes(90), 3), (submit.OnLimit, submit.MaxWait, submit.MaxWindows));
    }

    [Fact]
    public void A_template_stored_before_limit_policies_submits_none()
    {
        var submit = TaskTemplate.FromJson("""{"prompt": "make nightly", "agents": ["shell"], "expectChanges": false}""")
            .Submit(Guid.NewGuid(), Guid.NewGuid(), null, DateTime.UtcNow);

        Assert.Equal((null, null, null), (submit.OnLimit, submit.MaxWait, submit.MaxWindows));
    }

    static SubmitTaskRequest Request(string? onLimit = null, string? maxWait = null, int? maxWindows = null) =>
        new(null, "make test", null, "shell", null, null, null, null, null, null, OnLimit: onLimit, MaxWait: maxWait, MaxWindows: maxWindows);
}
