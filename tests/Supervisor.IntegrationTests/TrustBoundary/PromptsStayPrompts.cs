using Supervisor.IntegrationTests.RealAgents;

namespace Supervisor.IntegrationTests.TrustBoundary;

/// <summary>
/// A prompt made of the CLIs' own options reaches each real CLI, under its shipped profile, as the prompt: the provider
/// stub finds the task's case in the request (it answers with the tool call that writes the file) only if the CLI sent
/// the whole text to the model. Read as options, <c>--help</c> or <c>--version</c> would end the CLI before any request,
/// and nothing would be written.
/// </summary>
[Collection(RealAgentsCollection.Name)]
public sealed class PromptsStayPrompts(RealAgentsFixture fixture)
{
    [Theory]
    [InlineData("claude", "--help")]
    [InlineData("claude", "--dangerously-skip-permissions --version")]
    [InlineData("codex", "--help")]
    [InlineData("codex", "--dangerously-bypass-approvals-and-sandbox --version")]
    [InlineData("gemini", "--help")]
    [InlineData("gemini", "--yolo --version")]
    [InlineData("copilot", "--help")]
    [InlineData("copilot", "--allow-all --version")]
    public async Task A_prompt_of_the_CLIs_own_options_is_sent_to_the_model_as_text(string agent, string options)
    {
        using var work = await RealAgentTask.CreateAsync(fixture.Stack.Api);
        await fixture.Stub.ScriptAsync(work.Case, [], file: "options.txt", content: "still a prompt\n");

        var id = await fixture.Stack.Api.SubmitAsync(new
        {
            prompt = options + " " + work.Prompt("options.txt"),
            agents = new[] { agent },
            repository = new { path = work.Repository.Path },
            expectChanges = true,
        });
        var task = await fixture.Stack.Api.WaitForAsync(id, RealAgentTask.Timeout);

        Assert.Equal("Succeeded", RealAgentTask.State(task));
        Assert.Equal("still a prompt\n", await work.Repository.GitAsync("show", $"{task["result"]!["branch"]!.GetValue<string>()}:options.txt"));
    }
}
