using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.TrustBoundary;

/// <summary>
/// A shell agent plants what would make the worker's git run its code (an fsmonitor set with <c>git config</c>, hooks in
/// the repository and in the worktree's git directory, a <c>.git</c> directory of its own with an fsmonitor and a
/// filter that rewrites content, named by a <c>.gitattributes</c>); the real worker commits the attempt, removes the
/// workspace, and makes the next task's worktree in the same repository. Every planted command would leave a marker.
/// </summary>
[Collection(TrustBoundaryCollection.Name)]
public sealed class HostileWorkspace(TrustBoundaryFixture fixture)
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    /// <summary>The agent's script: $1 is where markers go. It ends having written work.txt in lower case.</summary>
    const string Plant = """
        set -e
        M="$1"
        git config core.fsmonitor "touch $M/fsmonitor-config; true"
        gd=$(git rev-parse --absolute-git-dir); cd_=$(git rev-parse --path-format=absolute --git-common-dir)
        for d in "$gd/hooks" "$cd_/hooks"; do
          mkdir -p "$d"
          for h in pre-commit commit-msg post-commit reference-transaction post-checkout post-index-change; do
            printf '#!/bin/sh\ntouch %s/hook-%s\n' "$M" "$h" > "$d/$h"; chmod +x "$d/$h"
          done
        done
        rm .git
        git init -q .
        git config core.fsmonitor "touch $M/own-fsmonitor; true"
        git config filter.x.clean "touch $M/own-filter; tr a-z A-Z"
        git config filter.x.required true
        echo '*.txt filter=x' > .gitattributes
        echo 'lower case' > work.txt
        """;

    [Fact]
    public async Task What_the_agent_plants_never_runs_on_the_worker_and_the_commit_is_what_it_wrote()
    {
        using var repository = await GitRepository.CreateAsync();
        var markers = Directory.CreateTempSubdirectory("supervisor-markers-").FullName;
        try
        {
            var id = await fixture.Stack.Api.SubmitAsync(new
            {
                prompt = $"sh -c '{Plant.Replace("'", "'\\''", StringComparison.Ordinal)}' plant '{markers}'",
                repository = new { path = repository.Path },
                expectChanges = true,
            });
            var task = await fixture.Stack.Api.WaitForAsync(id, Timeout);
            // The next task in the same repository: its worktree is made where the hooks and fsmonitor were planted.
            var next = await fixture.Stack.Api.WaitForAsync(
                await fixture.Stack.Api.SubmitAsync(new { prompt = "echo next > next.txt", repository = new { path = repository.Path } }), Timeout);

            Assert.Empty(Directory.EnumerateFileSystemEntries(markers).Select(Path.GetFileName));
            Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
            Assert.Equal("Succeeded", next["state"]!.GetValue<string>());
            // cat-file reads the stored blobs without touching the index or the working tree (no fsmonitor either way).
            var commit = task["result"]!["commit"]!.GetValue<string>();
            Assert.Equal("lower case\n", await repository.GitAsync("cat-file", "blob", $"{commit}:work.txt"));
            Assert.Equal("*.txt filter=x\n", await repository.GitAsync("cat-file", "blob", $"{commit}:.gitattributes"));
            Assert.Equal("next\n", await repository.GitAsync("cat-file", "blob", $"{next["result"]!["commit"]!.GetValue<string>()}:next.txt"));

            // The plant is real: the repository's own git, as an operator would run it, runs the planted fsmonitor.
            await repository.GitAsync("status", "--porcelain");
            Assert.Contains("fsmonitor-config", Directory.EnumerateFileSystemEntries(markers).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(markers, recursive: true);
        }
    }

    /// <summary>
    /// NEEDS THE SANDBOX (issue 15 point 1): until agents run as a user of their own, an agent runs as the worker's user and
    /// can write the operator's repository (its .git/config, its hooks) directly; only then can this hold. Every assertion
    /// here depends on it. Un-skip once the worker runs agents as another user.
    /// </summary>
    [Fact(Skip = "needs the sandbox: agents run as the worker's user until issue 15 point 1 lands, and can write the operator's .git")]
    public async Task The_agent_cannot_write_the_operators_repository()
    {
        using var repository = await GitRepository.CreateAsync();
        var markers = Directory.CreateTempSubdirectory("supervisor-markers-").FullName;
        var config = await File.ReadAllTextAsync(Path.Combine(repository.Path, ".git", "config"));
        var hooks = Directory.EnumerateFileSystemEntries(Path.Combine(repository.Path, ".git", "hooks")).Order(StringComparer.Ordinal).ToList();
        try
        {
            var id = await fixture.Stack.Api.SubmitAsync(new
            {
                prompt = $"sh -c '{Plant.Replace("'", "'\\''", StringComparison.Ordinal)}' plant '{markers}'",
                repository = new { path = repository.Path },
            });
            await fixture.Stack.Api.WaitForAsync(id, Timeout);

            Assert.Equal(config, await File.ReadAllTextAsync(Path.Combine(repository.Path, ".git", "config")));
            Assert.Equal(hooks, Directory.EnumerateFileSystemEntries(Path.Combine(repository.Path, ".git", "hooks")).Order(StringComparer.Ordinal).ToList());
        }
        finally
        {
            Directory.Delete(markers, recursive: true);
        }
    }
}
