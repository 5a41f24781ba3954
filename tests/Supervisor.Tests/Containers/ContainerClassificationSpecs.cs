using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Worker.Attempts;
using Supervisor.Worker.Execution;

namespace Supervisor.Tests.Containers;

public sealed class ContainerClassificationSpecs
{
    static readonly AgentOptions Agent = new() { Command = "agent", Isolation = IsolationModes.Container, Image = "img", Args = ["--dir", "{workspace}", "{prompt}"] };

    [Fact]
    public void In_a_container_the_agents_environment_is_only_its_own_with_container_paths()
    {
        var agent = new AgentOptions { Command = "agent", Isolation = IsolationModes.Container, Image = "img", Env = { ["API_KEY"] = "k" } };
        var job = new RunAgentJob(Guid.NewGuid(), 1, 1, "boxed", "do it", null, null, null, false);

        var env = AgentEnvironment.For(agent, job, 3, "/var/tmp/ws/123");

        Assert.Equal(["API_KEY", "SUPERVISOR_AGENT", "SUPERVISOR_ATTEMPT", "SUPERVISOR_TASK_ID", "SUPERVISOR_WORKSPACE"], env.Keys.Order());
        Assert.Equal("/workspace", env["SUPERVISOR_WORKSPACE"]);
        Assert.Equal(["--dir", "/workspace", "do it"], AgentEnvironment.Arguments(Agent, "do it", "/var/tmp/ws/123"));
    }

    [Fact]
    public void In_a_container_an_attempt_home_is_mounted_and_HOME_and_placeholders_point_there()
    {
        var workspace = Directory.CreateTempSubdirectory("ws-").FullName;
        var agent = new AgentOptions
        {
            Command = "agent",
            Isolation = IsolationModes.Container,
            Image = "img",
            Home = HomeModes.Attempt,
            Env = { ["CONFIG"] = "{home}/.cli/config.json" },
            Files = { [".cli/config.json"] = """{"root": "{workspace}"}""" },
        };
        try
        {
            AgentHome.Create(agent, workspace);
            var env = AgentEnvironment.For(agent, new RunAgentJob(Guid.NewGuid(), 1, 1, "boxed", "x", null, null, null, false), 1, workspace);
            var spec = new ProcessSpec("agent", [], workspace, env, TimeSpan.FromMinutes(1));
            var request = Supervisor.Worker.Containers.ContainerRequests.Create(agent, spec, new Dictionary<string, string>(), "0:0");

            Assert.Equal(("/home/supervisor", "/home/supervisor/tmp"), (env["HOME"], env["TMPDIR"]));
            Assert.Equal("/home/supervisor/.cli/config.json", env["CONFIG"]);
            Assert.Equal("""{"root": "/workspace"}""", File.ReadAllText(Path.Combine(AgentHome.PathFor(agent, workspace)!, ".cli", "config.json")));
            Assert.Contains(request.HostConfig!.Mounts!, m => m.Source == AgentHome.PathFor(agent, workspace) && m.Target == "/home/supervisor");
        }
        finally
        {
            AgentHome.Remove(agent, workspace);
            Directory.Delete(workspace, recursive: true);
        }
    }
}
