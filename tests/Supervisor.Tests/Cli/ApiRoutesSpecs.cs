using Supervisor.Cli.Api;
using Supervisor.Cli.Commands;

namespace Supervisor.Tests.Cli;

public sealed class ApiRoutesSpecs
{
    [Fact]
    public void Every_verb_command_of_the_CLI_has_its_route() =>
        Assert.Equal(TaskActionCommands.Create().Select(c => c.Name).Order(StringComparer.Ordinal),
            ApiRoutes.TaskActions.Keys.Order(StringComparer.Ordinal));

    [Fact]
    public void A_path_fills_the_template_with_escaped_values() =>
        Assert.Equal("api/tasks/a%2Fb/cancel", ApiRoutes.TaskActions["cancel"].Path(("id", "a/b")));

    [Fact]
    public void Every_schedule_verb_command_has_its_route() =>
        Assert.Equal(["api/schedules/{id}/pause", "api/schedules/{id}/resume"],
            ApiRoutes.ScheduleActions.Values.Select(r => r.Template).Order(StringComparer.Ordinal));

    [Fact]
    public void The_schedule_routes_are_among_all_routes_each_once()
    {
        var all = ApiRoutes.All.Select(r => $"{r.Method} {r.Template}").ToList();

        Assert.Equal(all.Count, all.Distinct(StringComparer.Ordinal).Count());
        Assert.Subset(all.ToHashSet(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal)
        {
            "POST api/schedules", "GET api/schedules", "GET api/schedules/{id}", "DELETE api/schedules/{id}",
            "GET api/schedules/{id}/tasks",
            "POST api/schedules/{id}/pause", "POST api/schedules/{id}/resume", "POST api/schedules/{id}/trigger",
        });
    }
}
