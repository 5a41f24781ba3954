namespace Supervisor.IntegrationTests.RealAgents;

/// <summary>Each real CLI, under its shipped profile, completes a task through a tool call that writes a file.</summary>
[Collection(RealAgentsCollection.Name)]
public sealed class CompletingTasks(RealAgentsFixture fixture)
{
    [Theory]
    [InlineData("claude")]
    [InlineData("codex")]
    [InlineData("gemini")]
    [InlineData("copilot")]
    public async Task The_file_the_agent_writes_lands_on_the_attempts_branch(string agent)
    {
        using var work = await RealAgentTask.CreateAsync(fixture.Stack.Api);
        await fixture.Stub.ScriptAsync(work.Case, [], file: "greeting.txt", content: $"hello from {agent}\n");

        var (_, task) = await work.RunAsync("greeting.txt", [agent]);

        Assert.Equal("Succeeded", RealAgentTask.State(task));
        var result = task["result"]!;
        Assert.Equal(agent, result["agent"]!.GetValue<string>());
        var branch = result["branch"]!.GetValue<string>();
        Assert.Equal($"hello from {agent}\n", await work.Repository.GitAsync("show", $"{branch}:greeting.txt"));
        Assert.Contains("I created greeting.txt as asked", result["summary"]!.GetValue<string>());
        var attempt = Assert.Single(RealAgentTask.Attempts(task));
        Assert.Equal(0, attempt["exitCode"]!.GetValue<int>());
        if (agent != "copilot")
            Assert.True(attempt["usage"]!["inputTokens"]!.GetValue<long>() > 0, $"{agent}'s usage was not recorded: {attempt}");
    }

    /// <summary>A prompt is never read as the CLI's options, whatever it starts with (each profile ends them before it).</summary>
    [Theory]
    [InlineData("claude")]
    [InlineData("codex")]
    [InlineData("gemini")]
    [InlineData("copilot")]
    public async Task A_prompt_that_starts_like_an_option_reaches_the_agent_as_its_prompt(string agent)
    {
        using var work = await RealAgentTask.CreateAsync(fixture.Stack.Api);
        await fixture.Stub.ScriptAsync(work.Case, [], file: "flags.txt", content: "not a flag\n");

        var id = await fixture.Stack.Api.SubmitAsync(new
        {
            prompt = "--version --help " + work.Prompt("flags.txt"),
            agents = new[] { agent },
            repository = new { path = work.Repository.Path },
            expectChanges = true,
        });
        var task = await fixture.Stack.Api.WaitForAsync(id, RealAgentTask.Timeout);

        Assert.Equal("Succeeded", RealAgentTask.State(task));
        Assert.Equal("not a flag\n", await work.Repository.GitAsync("show", $"{task["result"]!["branch"]!.GetValue<string>()}:flags.txt"));
    }
}
