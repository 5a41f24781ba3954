using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.TrustBoundary;

/// <summary>
/// An agent that tries, from inside its attempt, to reach what the supervisor keeps from it: the worker's and the
/// service's environment (the broker's and the database's credentials), any root process's, another running attempt's
/// workspace, the list of workspaces, the Docker socket and the worker's HOME. Every try fails on a sandboxed worker
/// (the default), and the same tries succeed on a worker with <c>AgentUsers: worker</c>, so the probes can tell.
/// Whatever the agent's user, it cannot approve a task over the loopback API without a token, nor reach the database or
/// the broker with the credentials it could guess. (The other tries of issue 15's red team: git plants in
/// <see cref="HostileWorkspace"/>, prompts made of flags in <see cref="PromptsStayPrompts"/>, forged messages with the
/// worker's own broker credentials in <see cref="BusPermissions"/>.)
/// </summary>
[Collection(AgentSandboxCollection.Name)]
public sealed class AgentSandbox(AgentSandboxFixture fixture)
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    readonly ApiClient _api = fixture.Stack.Api;
    Guid? _waiting;

    [Fact]
    public async Task A_sandboxed_agent_reads_no_secret_of_the_supervisor_and_no_other_attempts_workspace()
    {
        var (victim, probes) = await RunProbesAsync("shell");

        Assert.Equal("Succeeded", probes["state"]!.GetValue<string>());
        var found = Findings(probes);
        AssertFound(found, ("worker-environ", "denied"), ("service-environ", "denied"), ("root-environ", "denied"),
            ("other-workspace", "denied"), ("workspace-root", "denied"), ("docker-socket", "denied"), ("worker-home", "denied"),
            ("broker-in-env", "absent"), ("tools", "present"), ("api-approve", "denied"), ("postgres-guessed", "denied"),
            ("broker-guessed", "denied"));
        Assert.Equal("AwaitingApproval", (await _api.GetAsync(_waiting!.Value))["state"]!.GetValue<string>());
        Assert.NotEqual("0", found["uid"]);
        Assert.Equal("Cancelled", victim["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_same_probes_find_everything_on_a_worker_that_runs_agents_as_itself()
    {
        var (_, probes) = await RunProbesAsync("unsandboxed");

        AssertFound(Findings(probes), ("worker-environ", "read"), ("service-environ", "read"), ("other-workspace", "read"),
            ("worker-home", "read"), ("uid", "0"));
    }

    [Fact]
    public async Task An_agent_whose_command_its_user_cannot_reach_fails_fatally_naming_the_directory()
    {
        var id = await _api.SubmitAsync(new { prompt = "hello", agent = "hidden" });
        var task = await _api.WaitForAsync(id, Timeout, "Failed", "Succeeded");

        Assert.Equal("Failed", task["state"]!.GetValue<string>());
        var attempt = task["attempts"]![0]!;
        Assert.Equal("Fatal", attempt["errorClass"]!.GetValue<string>());
        Assert.Contains($"directory '{fixture.Hidden}'", attempt["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    /// <summary>
    /// A victim attempt that keeps a secret in its workspace and waits, and a probing attempt of <paramref name="agent"/>
    /// beside it; the victim is cancelled once the probes are done.
    /// </summary>
    async Task<(JsonNode Victim, JsonNode Probes)> RunProbesAsync(string agent)
    {
        var shared = TestEnvironment.SharedDirectory("supervisor-sandbox-");
        var marker = Path.Combine(shared, "victim");
        var victim = await _api.SubmitAsync(new
        {
            prompt = $"echo victim-secret > secret.txt; umask 0; echo \"$SUPERVISOR_WORKSPACE\" > {marker}.tmp && mv {marker}.tmp {marker}; sleep 120",
            agent,
        });
        _waiting = await _api.SubmitAsync(new { prompt = "true", agent, risk = "high" });
        await _api.WaitForAsync(_waiting.Value, Timeout, "AwaitingApproval");
        var database = new Npgsql.NpgsqlConnectionStringBuilder(fixture.Stack.Resources.Postgres);
        var broker = fixture.Stack.Resources.RabbitMqManagement;
        var worker = fixture.Stack.Workers.First(w => w.Name.EndsWith(agent == "shell" ? "-sandboxed" : "-unsandboxed", StringComparison.Ordinal));
        var service = fixture.Stack.Services[0];
        string Probe(string name, string command, string ok = "read", string failed = "denied") =>
            $"if {command} >/dev/null 2>&1; then echo '{name}={ok}'; else echo '{name}={failed}'; fi; ";
        var script = $"while [ ! -f {marker} ]; do sleep 0.2; done; other=$(cat {marker}); "
            + "echo \"uid=$(id -u)\"; "
            + Probe("tools", "command -v curl && command -v psql && command -v python3", ok: "present", failed: "missing")
            + Probe("worker-environ", $"grep -q . /proc/{worker.Pid}/environ")
            + Probe("service-environ", $"grep -q . /proc/{service.Pid}/environ")
            + Probe("root-environ", "grep -q . /proc/1/environ")
            + Probe("other-workspace", "grep -q victim-secret \"$other/secret.txt\"")
            + Probe("workspace-root", "ls \"$(dirname \"$other\")\"")
            + Probe("docker-socket", "python3 -c 'import socket; socket.socket(socket.AF_UNIX).connect(\"/var/run/docker.sock\")'")
            + Probe("worker-home", "ls /root")
            + Probe("broker-in-env", "env | grep -qi -e amqp -e rabbit -e postgres", ok: "present", failed: "absent")
            + Probe("api-approve", $"curl -sf -X POST -H 'Content-Type: application/json' -d '{{}}' {fixture.Stack.ServiceUrls[0]}api/tasks/{_waiting}/approve")
            + Probe("postgres-guessed", $"PGPASSWORD=postgres PGCONNECT_TIMEOUT=5 psql -X -w -h {database.Host} -p {database.Port} -U postgres -d postgres -tAc 'select 1'")
            + Probe("broker-guessed", string.Join(" || ", new[] { "guest:guest", "rabbitmq:rabbitmq", "supervisor:supervisor" }
                .Select(c => $"curl -sf -u {c} http://{broker.Host}:{broker.Port}/api/whoami")));
        var probes = await _api.SubmitAsync(new { prompt = script, agent });
        var done = await _api.WaitForAsync(probes, Timeout, "Succeeded", "Failed");
        await _api.CommandAsync(victim, "cancel");
        var stopped = await _api.WaitForAsync(victim, Timeout, "Cancelled", "Succeeded", "Failed");
        Directory.Delete(shared, recursive: true);
        return (stopped, done);
    }

    static Dictionary<string, string> Findings(JsonNode task) =>
        (task["result"]?["summary"]?.GetValue<string>() ?? throw new InvalidOperationException($"no summary: {task.ToJsonString()}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    /// <summary>Each probe's finding is the expected one; every difference is shown at once.</summary>
    static void AssertFound(Dictionary<string, string> found, params (string Probe, string Finding)[] expected) =>
        Assert.Equal(expected.Select(e => $"{e.Probe}={e.Finding}"), expected.Select(e => $"{e.Probe}={found.GetValueOrDefault(e.Probe, "(no finding)")}"));
}

/// <summary>
/// One service; a sandboxed worker (the default) of <c>shell</c> and <c>hidden</c> (a command under a 0700 directory), and
/// a worker of <c>unsandboxed</c> with <c>Supervisor:Worker:AgentUsers</c> = <c>worker</c>; two attempts at once each.
/// </summary>
public sealed class AgentSandboxFixture : IAsyncLifetime
{
    internal SupervisorStack Stack { get; private set; } = null!;

    /// <summary>A directory only root can enter, holding <c>hidden</c>'s command.</summary>
    public string Hidden { get; } = Directory.CreateTempSubdirectory("supervisor-hidden-").FullName;

    public async Task InitializeAsync()
    {
        var command = Path.Combine(Hidden, "agent.sh");
        await File.WriteAllTextAsync(command, "#!/bin/sh\necho should not run\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(command, (UnixFileMode)0b111_101_101);
        Stack = await SupervisorStack.StartAsync("sandbox", new Dictionary<string, string>
        {
            ["Supervisor__Agents__shell__Concurrency"] = "2",
            ["Supervisor__Agents__hidden__Command"] = command,
        }.Concat(ShellAgents.Profile("unsandboxed", "{prompt}", ("Concurrency", "2"))).ToDictionary(), services: 1);
        await Stack.AddWorkerAsync("shell,hidden", id: "sandboxed");
        await Stack.AddWorkerAsync("unsandboxed", new Dictionary<string, string> { ["Supervisor__Worker__AgentUsers"] = "worker" }, id: "unsandboxed");
    }

    public async Task DisposeAsync()
    {
        await Stack.DisposeAsync();
        Directory.Delete(Hidden, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class AgentSandboxCollection : ICollectionFixture<AgentSandboxFixture>
{
    public const string Name = "agent sandbox";
}
