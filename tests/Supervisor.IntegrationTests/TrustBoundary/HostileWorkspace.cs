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

    /// <summary>
    /// The agent's script: $1 is where the worker's git would leave markers, $2 where the agent proves its own plant live.
    /// Writing the repository's config and hooks fails in the sandbox (they belong to the worker); the script goes on, plants
    /// a .git of its own, runs it once itself (its fsmonitor then marks $2), and ends having written work.txt in lower case.
    /// </summary>
    const string Plant = """
        M="$1"; P="$2"
        git config core.fsmonitor "touch $M/fsmonitor-config; true" 2>/dev/null
        gd=$(git rev-parse --absolute-git-dir); cd_=$(git rev-parse --path-format=absolute --git-common-dir)
        for d in "$gd/hooks" "$cd_/hooks"; do
          mkdir -p "$d" 2>/dev/null
          for h in pre-commit commit-msg post-commit reference-transaction post-checkout post-index-change; do
            printf '#!/bin/sh\ntouch %s/hook-%s\n' "$M" "$h" 2>/dev/null > "$d/$h" && chmod +x "$d/$h"
          done
        done
        set -e
        rm .git
        git init -q .
        git config core.fsmonitor "touch \${PROOF:-$M}/own-fsmonitor; true"
        git config filter.x.clean "touch \${PROOF:-$M}/own-filter; tr a-z A-Z"
        git config filter.x.required true
        echo '*.txt filter=x' > .gitattributes
        echo 'lower case' > work.txt
        PROOF="$P" git add -A && PROOF="$P" git status --porcelain >/dev/null
        """;

    [Fact]
    public async Task What_the_agent_plants_never_runs_on_the_worker_and_the_commit_is_what_it_wrote()
    {
        using var repository = await GitRepository.CreateAsync();
        var markers = Directory.CreateTempSubdirectory("supervisor-markers-").FullName;
        var proof = TestEnvironment.SharedDirectory("supervisor-proof-");
        try
        {
            var id = await fixture.Stack.Api.SubmitAsync(new
            {
                prompt = $"sh -c '{Plant.Replace("'", "'\\''", StringComparison.Ordinal)}' plant '{markers}' '{proof}'",
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

            // The plant is real: the agent's own git, run once in its workspace, ran the planted fsmonitor and filter.
            Assert.Equal(["own-filter", "own-fsmonitor"], Directory.EnumerateFileSystemEntries(proof).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }
        finally
        {
            Directory.Delete(markers, recursive: true);
            Directory.Delete(proof, recursive: true);
        }
    }

    /// <summary>The agent runs as a user of its own (the sandbox): the operator's .git/config and hooks are not its to write.</summary>
    [Fact]
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
                prompt = $"sh -c '{Plant.Replace("'", "'\\''", StringComparison.Ordinal)}' plant '{markers}' '{markers}'",
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
