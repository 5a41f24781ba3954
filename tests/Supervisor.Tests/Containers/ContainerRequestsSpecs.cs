using Supervisor.Agents;
using Supervisor.Worker.Containers;
using Supervisor.Worker.Execution;

namespace Supervisor.Tests.Containers;

public sealed class ContainerRequestsSpecs
{
    static readonly AgentOptions Agent = new()
    {
        Command = "/bin/sh",
        Isolation = IsolationModes.Container,
        Image = "supervisor-test-base:1",
        Container = new ContainerOptions { MemoryMb = 256, Cpus = 1.5, PidsLimit = 64 },
    };

    static readonly ProcessSpec Spec = new("/bin/sh", ["-c", "echo hi"], "/tmp/ws/abc",
        new Dictionary<string, string> { ["SUPERVISOR_TASK_ID"] = "0b1e2c3d-1111-2222-3333-444455556666", ["SUPERVISOR_ATTEMPT"] = "2", ["A"] = "1" },
        TimeSpan.FromMinutes(1));

    [Fact]
    public void A_container_mounts_only_the_workspace_with_the_agents_limits_and_no_privileges()
    {
        var request = ContainerRequests.Create(Agent, Spec, ContainerRequests.Labels(Spec, "w1"), "1000:1000");

        var host = request.HostConfig!;
        var mount = Assert.Single(host.Mounts!);
        Assert.Equal(("bind", "/tmp/ws/abc", "/workspace", (bool?)false), (mount.Type, mount.Source, mount.Target, mount.ReadOnly));
        Assert.Equal("/workspace", request.WorkingDir);
        Assert.Equal(["/bin/sh"], request.Entrypoint);
        Assert.Equal(["-c", "echo hi"], request.Cmd);
        Assert.Equal(["SUPERVISOR_TASK_ID=0b1e2c3d-1111-2222-3333-444455556666", "SUPERVISOR_ATTEMPT=2", "A=1"], request.Env);
        Assert.Equal("none", host.NetworkMode);
        Assert.Equal(256L * 1024 * 1024, host.Memory);
        Assert.Equal(host.Memory, host.MemorySwap);
        Assert.Equal(1_500_000_000L, host.NanoCPUs);
        Assert.Equal(64L, host.PidsLimit);
        Assert.Equal(["ALL"], host.CapDrop);
        Assert.Equal(["no-new-privileges"], host.SecurityOpt);
        Assert.False(host.Privileged);
        Assert.Equal("1000:1000", request.User);
    }

    [Fact]
    public void A_configured_container_user_wins_over_the_workers_own()
    {
        var agent = new AgentOptions { Command = "x", Image = "i", Container = new ContainerOptions { User = "nobody" } };

        Assert.Equal("nobody", ContainerRequests.Create(agent, Spec, new Dictionary<string, string>(), "0:0").User);
    }

    [Fact]
    public void The_labels_and_name_tie_a_container_to_its_attempt()
    {
        var labels = ContainerRequests.Labels(Spec, "w1");

        Assert.Equal("0b1e2c3d-1111-2222-3333-444455556666", labels["supervisor.task"]);
        Assert.Equal("2", labels["supervisor.attempt"]);
        Assert.Equal("w1", labels["supervisor.worker"]);
        Assert.StartsWith("supervisor-0b1e2c3d-2-", ContainerRequests.Name(labels), StringComparison.Ordinal);
        Assert.NotEqual(ContainerRequests.Name(labels), ContainerRequests.Name(labels));
    }

    [Fact]
    public void Bad_container_settings_fail_validation_naming_their_keys()
    {
        var options = new SupervisorOptions();
        options.Agents["shell"] = new AgentOptions { Command = "/bin/sh" };
        options.Agents["boxed"] = new AgentOptions
        {
            Command = "/bin/sh",
            Isolation = IsolationModes.Container,
            Container = new ContainerOptions { MemoryMb = 1, Cpus = 0, PidsLimit = 2, Network = "container:db", User = "a b" },
        };

        var errors = options.Validate();

        foreach (var key in new[] { "Image", "Container:MemoryMb", "Container:Cpus", "Container:PidsLimit", "Container:Network", "Container:User" })
            Assert.Contains(errors, e => e.StartsWith($"Supervisor:Agents:boxed:{key}:", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.StartsWith("Supervisor:Agents:shell", StringComparison.Ordinal));
    }
}
