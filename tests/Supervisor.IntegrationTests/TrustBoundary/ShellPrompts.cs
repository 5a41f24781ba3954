namespace Supervisor.IntegrationTests.TrustBoundary;

/// <summary>
/// The shipped <c>shell</c> profile runs its prompt as a script (<c>/bin/sh -c -- {prompt}</c>): a prompt that starts with
/// <c>-</c> is still the script. Read as sh's options, <c>-x …</c> would end sh with "Illegal option" before anything ran.
/// </summary>
[Collection(TrustBoundaryCollection.Name)]
public sealed class ShellPrompts(TrustBoundaryFixture fixture)
{
    [Fact]
    public async Task A_prompt_that_starts_with_a_dash_is_the_shell_agents_script_not_an_option_of_sh()
    {
        var id = await fixture.Stack.Api.SubmitAsync(new { prompt = "-x 2>/dev/null; echo ran as a script", agent = "shell" });
        var task = await fixture.Stack.Api.WaitForAsync(id, TimeSpan.FromSeconds(60));

        Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
        // Output is stored apart from the state (its own consumer, in batches): read it once all of it is there.
        var output = string.Concat((await fixture.Stack.Api.CompleteLogsAsync(id)).Select(c => c!["text"]!.GetValue<string>()));
        Assert.Contains("ran as a script", output, StringComparison.Ordinal);
    }
}
