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
}
