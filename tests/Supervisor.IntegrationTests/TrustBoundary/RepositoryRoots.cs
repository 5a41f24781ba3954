namespace Supervisor.IntegrationTests.TrustBoundary;

/// <summary>
/// The worker checks a task's repository against its own allowed roots before it makes a worktree, whatever the service
/// allowed: a repository reached through a link from inside the worker's root to outside it fails the attempt as Invalid.
/// (The API's own answer, the same for a path outside its roots whether it exists or not, is Controls.RepositoryRoots.)
/// </summary>
[Collection(TrustBoundaryCollection.Name)]
public sealed class RepositoryRoots(TrustBoundaryFixture fixture)
{
    [Fact]
    public async Task A_repository_outside_the_workers_roots_fails_the_attempt_as_Invalid_without_a_worktree()
    {
        // A real repository outside the worker's root (the temporary directory), named through a link inside it.
        var outside = Path.Combine("/var/tmp", $"supervisor-outside-{Guid.NewGuid():N}");
        Directory.CreateDirectory(outside);
        var link = Path.Combine(fixture.WorkerRoot, $"supervisor-link-{Guid.NewGuid():N}");
        File.CreateSymbolicLink(link, outside);
        try
        {
            await CliWrap.Cli.Wrap("git").WithArguments(["init", "-q", "-b", "main", outside]).ExecuteAsync();
            await CliWrap.Cli.Wrap("git").WithArguments(["-C", outside, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "first"]).ExecuteAsync();

            var id = await fixture.Stack.Api.SubmitAsync(new { prompt = "echo reached > reached.txt", repository = new { path = link } });
            var task = await fixture.Stack.Api.WaitForAsync(id, TimeSpan.FromSeconds(60));

            Assert.Equal("Failed", task["state"]!.GetValue<string>());
            var attempt = Assert.Single(task["attempts"]!.AsArray())!;
            Assert.Equal("Invalid", attempt["errorClass"]!.GetValue<string>());
            Assert.Contains($"'{link}' is not under an allowed repository root of this worker", attempt["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal("", (await CliWrap.Buffered.BufferedCommandExtensions.ExecuteBufferedAsync(
                CliWrap.Cli.Wrap("git").WithArguments(["-C", outside, "branch", "--list", "supervisor/*"]))).StandardOutput);
            Assert.False(File.Exists(Path.Combine(outside, "reached.txt")));
        }
        finally
        {
            File.Delete(link);
            Directory.Delete(outside, recursive: true);
        }
    }
}
