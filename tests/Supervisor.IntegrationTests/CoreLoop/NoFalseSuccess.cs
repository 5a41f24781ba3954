using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.CoreLoop;

/// <summary>Exit 0 is not proof of work: the verify command and expectChanges decide too.</summary>
[Collection(CoreLoopCollection.Name)]
public sealed class NoFalseSuccess(CoreLoopFixture fixture)
{
    readonly ApiClient _api = fixture.Stack.Api;
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_passing_verify_command_lets_the_attempt_succeed()
    {
        var id = await _api.SubmitAsync(new { prompt = "echo 42 > answer.txt", verify = "grep -q 42 answer.txt" });

        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
        var logs = await _api.CompleteLogsAsync(id);
        Assert.Contains(logs, c => c!["text"]!.GetValue<string>().Contains("verify exited with code 0"));
    }

    [Fact]
    public async Task A_failing_verify_command_makes_the_attempt_an_AgentFailure_that_is_retried()
    {
        var id = await _api.SubmitAsync(new { prompt = "echo 41 > answer.txt", verify = "echo checking; grep -q 42 answer.txt" });

        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Failed", task["state"]!.GetValue<string>());
        var attempts = task["attempts"]!.AsArray();
        Assert.Equal(3, attempts.Count);
        Assert.All(attempts, a =>
        {
            Assert.Equal("AgentFailure", a!["errorClass"]!.GetValue<string>());
            Assert.StartsWith("the verify command failed (exited with code 1)", a["message"]!.GetValue<string>());
            Assert.Equal(0, a["exitCode"]!.GetValue<int>());
        });
    }

    [Fact]
    public async Task An_agent_that_changes_nothing_when_changes_are_expected_has_not_succeeded()
    {
        using var repo = await GitRepository.CreateAsync();
        var id = await _api.SubmitAsync(new { prompt = "echo 'All done!'", repository = new { path = repo.Path }, expectChanges = true });

        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Failed", task["state"]!.GetValue<string>());
        Assert.All(task["attempts"]!.AsArray(), a => Assert.Contains("changed nothing", a!["message"]!.GetValue<string>()));
        Assert.Equal("1", (await repo.GitAsync("rev-list", "--all", "--count")).Trim());
    }
}
