using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Supervisor.Worker.Execution;
using Supervisor.Worker.Settings;

namespace Supervisor.Tests.Execution;

/// <summary>Agent user ids: the setting, one uid per running attempt, and nothing of a uid surviving its attempt.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AgentUsersSpecs : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("agent-users-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    AgentUsers Users(string range) =>
        new(Options.Create(new WorkerOptions { WorkspaceRoot = _root, AgentUsers = range }), NullLogger<AgentUsers>.Instance);

    [Theory]
    [InlineData("61000-61999", 61000, 61999)]
    [InlineData(" 70000-70000 ", 70000, 70000)]
    [InlineData("1000", 1000, 1000)]
    public void A_range_of_user_ids_is_read(string value, int first, int last) =>
        Assert.Equal(new AgentUserRange(first, last), AgentUserRange.Parse(value));

    [Fact]
    public void A_range_that_holds_a_user_of_the_machine_stops_the_worker_naming_the_user()
    {
        var result = new AgentUsersValidator().Validate(null, new WorkerOptions { WorkspaceRoot = _root, AgentUsers = "1-10" });

        Assert.True(result.Failed);
        Assert.Contains("user id 1 of 1-10 is 'daemon' in /etc/passwd", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_range_holds_no_user_of_the_machine() =>
        Assert.True(new AgentUsersValidator().Validate(null, new WorkerOptions { WorkspaceRoot = _root }).Succeeded);

    [Fact]
    public void Worker_turns_the_sandbox_off() => Assert.Null(AgentUserRange.Parse("worker"));

    [Theory]
    [InlineData("0-999", "user id 0 (root)")]
    [InlineData("0", "user id 0 (root)")]
    [InlineData("62000-61000", "above the last")]
    [InlineData("65000-65534", "65534 (nobody)")]
    [InlineData("nobody", "neither a range")]
    [InlineData("-5", "neither a range")]
    [InlineData("1-2-3", "neither a range")]
    [InlineData("", "neither a range")]
    public void A_bad_value_is_refused_naming_the_key_and_the_reason(string value, string reason)
    {
        var errors = new WorkerOptions { AgentUsers = value }.Validate();

        var error = Assert.Single(errors);
        Assert.StartsWith("Supervisor:Worker:AgentUsers: ", error, StringComparison.Ordinal);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Running_attempts_never_share_a_uid_and_a_freed_uid_is_claimed_again()
    {
        var users = Users("61970-61971");
        await using var first = (await users.ClaimAsync())!;
        var second = (await users.ClaimAsync())!;

        var full = await Assert.ThrowsAsync<InvalidOperationException>(() => Users("61970-61971").ClaimAsync());
        await second.DisposeAsync();
        await using var third = (await Users("61970-61971").ClaimAsync())!;

        Assert.NotEqual(first.Uid, second.Uid);
        Assert.Contains("Supervisor:Worker:AgentUsers (61970-61971)", full.Message, StringComparison.Ordinal);
        Assert.Equal(second.Uid, third.Uid);
    }

    [Fact]
    public async Task Whatever_runs_as_a_uid_is_killed_before_the_uid_is_handed_out_and_when_its_attempt_ends()
    {
        using var leftover = RunningAs(61972);
        Process escaped;
        await using ((await Users("61972").ClaimAsync())!)
        {
            Assert.True(leftover.WaitForExit(TimeSpan.FromSeconds(10)), "a process left running as the uid was not killed when the uid was claimed");
            // An agent's daemon, out of its session and group.
            escaped = RunningAs(61972);
        }

        using (escaped)
            Assert.True(escaped.WaitForExit(TimeSpan.FromSeconds(10)), "a process of the attempt's uid outlived the attempt");
        Assert.Null(await Users("worker").ClaimAsync());
    }

    [Fact]
    public async Task A_kill_of_a_uid_reaches_its_forking_processes_and_nothing_of_another_uid_or_the_worker()
    {
        Assert.True(AgentUserThread.Supported, "this machine's architecture has no in-process kill; the shell's is used");
        // A process of the uid that keeps forking: what escapes a kill made one process at a time.
        using var forking = RunningAs(61974, "sh", "-c", "while :; do sleep 300 & sleep 0.01; done");
        using var other = RunningAs(61975);
        Thread.Sleep(100);

        await AgentUsers.KillAllOfAsync(61974);

        Assert.True(forking.WaitForExit(TimeSpan.FromSeconds(10)), "the uid's forking process outlived the kill");
        // Killed processes whose parent died wait as zombies for the machine's init; none may still run.
        Assert.Equal("", Run("sh", "-c", "ps -o pid=,stat=,args= -u 61974 | grep -v '^ *[0-9]* Z' || true").Trim());
        Assert.False(other.HasExited, "a process of another uid was killed");
        // The worker keeps its own credentials, on this thread and on a new one.
        Assert.Equal("0", Run("id", "-u").Trim());
        Assert.Equal(0u, await Task.Factory.StartNew(() => NativeMethods.EffectiveUserId(), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
        other.Kill();
    }

    [Fact]
    public void Root_is_never_taken_this_way() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => AgentUserThread.KillAll(0));

    [Fact]
    public async Task A_directory_handed_to_the_attempt_is_its_alone_and_comes_back_to_the_worker_whole()
    {
        var workspace = Directory.CreateDirectory(Path.Combine(_root, "ws"));
        Directory.CreateDirectory(Path.Combine(workspace.FullName, "a", "b"));
        await File.WriteAllTextAsync(Path.Combine(workspace.FullName, "a", "b", "f"), "x");
        File.CreateSymbolicLink(Path.Combine(workspace.FullName, "etc"), "/etc");
        await using var user = (await Users("61973").ClaimAsync())!;

        user.Hand(workspace.FullName);
        var handed = OwnerOf(Path.Combine(workspace.FullName, "a", "b", "f"));
        var mode = File.GetUnixFileMode(workspace.FullName);
        await user.ReclaimAsync(workspace.FullName);

        Assert.Equal("61973:61973", handed);
        Assert.Equal((UnixFileMode)0b111_000_000, mode);
        Assert.Equal("0:0", OwnerOf(Path.Combine(workspace.FullName, "a", "b", "f")));
        // The link itself changed hands, never what it points at.
        Assert.Equal("0:0", OwnerOf("/etc"));
    }

    static string OwnerOf(string path) => Run("stat", "-c", "%u:%g", path).Trim();

    static Process StartAs(int uid, params string[] command)
    {
        var start = new ProcessStartInfo(AgentUsers.SetPriv) { UseShellExecute = false };
        foreach (var argument in AgentUsers.SwitchTo(uid).Concat(["setsid", .. command.Length == 0 ? ["sleep", "300"] : command]))
            start.ArgumentList.Add(argument);
        return Process.Start(start)!;
    }

    /// <summary>A process started as <paramref name="uid"/>, returned once it runs as the uid (setpriv starts as root).</summary>
    static Process RunningAs(int uid, params string[] command)
    {
        var process = StartAs(uid, command);
        for (var i = 0; i < 500 && !File.ReadLines($"/proc/{process.Id}/status").Any(l => l.StartsWith($"Uid:\t{uid}\t", StringComparison.Ordinal)); i++)
            Thread.Sleep(10);
        return process;
    }

    static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }
}
