using Supervisor.Contracts;
using Supervisor.Service.Api;
using Supervisor.Service.Schedules;
using static Supervisor.Tests.Api.ShellSubmits;

namespace Supervisor.Tests.Api;

/// <summary>
/// A submit's concurrency key (<c>concurrencyKey</c>, <c>concurrencyLimit</c>, <c>concurrencyStrategy</c>) as
/// <see cref="SubmitTaskValidator"/> judges it: each bad value is an error naming its field and why, a good one reaches
/// <see cref="SubmitTask"/>, also through a schedule's stored template.
/// </summary>
public sealed class SubmitConcurrencySpecs
{
    [Fact]
    public async Task A_task_without_a_key_is_valid() =>
        Assert.Empty(await ErrorsAsync(Request()));

    [Theory]
    [InlineData("repo=web", null, null)]
    [InlineData("repo=web", 1, "queue")]
    [InlineData("deploy", 100, "cancelRunning")]
    [InlineData("x", 3, "dropNewest")]
    public async Task A_key_with_a_limit_from_1_to_100_and_a_known_strategy_is_valid(string key, int? limit, string? strategy) =>
        Assert.Empty(await ErrorsAsync(Request(key, limit, strategy)));

    [Fact]
    public async Task A_key_of_200_characters_is_valid() =>
        Assert.Empty(await ErrorsAsync(Request(new string('k', 200))));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task A_blank_key_is_an_error_naming_concurrencyKey(string key) =>
        Assert.Equal(["must not be blank."], (await ErrorsAsync(Request(key)))["concurrencyKey"]);

    [Fact]
    public async Task A_key_over_200_characters_is_an_error_naming_concurrencyKey() =>
        Assert.Equal(["is 201 characters; the limit is 200."], (await ErrorsAsync(Request(new string('k', 201))))["concurrencyKey"]);

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(101)]
    public async Task A_limit_out_of_range_is_an_error_naming_concurrencyLimit(int limit) =>
        Assert.Equal([$"{limit} is not between 1 and 100."], (await ErrorsAsync(Request("repo=web", limit)))["concurrencyLimit"]);

    [Theory]
    [InlineData("cancel-running")]
    [InlineData("Queue")]
    [InlineData("")]
    public async Task Any_other_strategy_is_an_error_naming_concurrencyStrategy(string strategy) =>
        Assert.Equal([$"'{strategy}' is not one of queue, cancelRunning, dropNewest."],
            (await ErrorsAsync(Request("repo=web", strategy: strategy)))["concurrencyStrategy"]);

    [Fact]
    public async Task A_limit_without_a_key_is_an_error_naming_concurrencyLimit() =>
        Assert.Equal(["needs a concurrencyKey: it limits the tasks of that key."], (await ErrorsAsync(Request(limit: 2)))["concurrencyLimit"]);

    [Fact]
    public async Task A_strategy_without_a_key_is_an_error_naming_concurrencyStrategy() =>
        Assert.Equal(["needs a concurrencyKey: it says what a task does when its key is full."],
            (await ErrorsAsync(Request(strategy: "queue")))["concurrencyStrategy"]);

    [Fact]
    public async Task Every_bad_part_of_the_key_is_named_at_once()
    {
        var errors = await ErrorsAsync(Request(" ", 0, "later"));

        Assert.Equal(["concurrencyKey", "concurrencyLimit", "concurrencyStrategy"], errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_schedule_template_carries_the_key_through_its_stored_JSON_into_each_submit()
    {
        var template = new TaskTemplate("make nightly", ["shell"], null, null, null, null, false, null,
            ConcurrencyKey: "repo=web", ConcurrencyLimit: 2, ConcurrencyStrategy: ConcurrencyStrategies.DropNewest);

        var submit = TaskTemplate.FromJson(template.ToJson()).Submit(Guid.NewGuid(), Guid.NewGuid(), "nightly", DateTime.UtcNow);

        Assert.Equal(("repo=web", 2, "dropNewest"), (submit.ConcurrencyKey, submit.ConcurrencyLimit, submit.ConcurrencyStrategy));
    }

    [Fact]
    public void A_template_stored_before_concurrency_keys_submits_none()
    {
        var submit = TaskTemplate.FromJson("""{"prompt": "make nightly", "agents": ["shell"], "expectChanges": false}""")
            .Submit(Guid.NewGuid(), Guid.NewGuid(), null, DateTime.UtcNow);

        Assert.Equal((null, null, null), (submit.ConcurrencyKey, submit.ConcurrencyLimit, submit.ConcurrencyStrategy));
    }

    static SubmitTaskRequest Request(string? key = null, int? limit = null, string? strategy = null) =>
        new(null, "make test", null, "shell", null, null, null, null, null, null,
            ConcurrencyKey: key, ConcurrencyLimit: limit, ConcurrencyStrategy: strategy);
}
