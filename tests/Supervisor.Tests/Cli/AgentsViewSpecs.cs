using Supervisor.Cli.Api;
using Supervisor.Cli.Rendering;

namespace Supervisor.Tests.Cli;

/// <summary><c>supervisor agents</c>: each provider account with its state, and the last limit it reported.</summary>
public sealed class AgentsViewSpecs
{
    static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_blocked_account_shows_until_when_and_why_and_an_ok_one_its_last_limit()
    {
        var agents = new[]
        {
            new AgentView("claude", "claude", "worktree", "codex", 1, 1800, 0, [], [
                new AccountView("claude/3fa9c2d1e0b4", "blocked", "usageWindow", Now.AddMinutes(11), Now.AddMinutes(-4), "You've hit your limit", Now.AddMinutes(-4), 1, 2,
                    Running: 0, MaxConcurrent: 2, Waiting: 12),
            ]),
            new AgentView("codex", "codex", "worktree", null, 1, 1800, 0, [], [
                new AccountView("codex/00aa11bb22cc", "ok", null, null, null, "429 Too Many Requests", Now.AddHours(-2), 3, 1),
            ]),
            new AgentView("shell", "/bin/sh", "worktree", null, 1, 3600, 0, [], []),
        };

        var lines = Rendered.Lines(console => AgentsView.Write(console, agents, Now));

        var claude = Assert.Single(lines, l => l.Contains("claude/3fa9c2d1e0b4", StringComparison.Ordinal));
        Assert.Contains("blocked until", claude, StringComparison.Ordinal);
        Assert.Contains("(in 11m", claude, StringComparison.Ordinal);
        Assert.Contains("usage window", claude, StringComparison.Ordinal);
        Assert.Contains("You've hit your limit", claude, StringComparison.Ordinal);
        Assert.Matches(@"\b0/2\s+12\b", claude);
        var codex = Assert.Single(lines, l => l.Contains("codex/00aa11bb22cc", StringComparison.Ordinal));
        Assert.Contains(" ok ", codex, StringComparison.Ordinal);
        Assert.Contains("2h ago: 429 Too Many Requests", codex, StringComparison.Ordinal);
    }

    [Fact]
    public void A_probing_account_says_which_task_tests_it()
    {
        var probe = Guid.Parse("0b7e8f2a-0000-0000-0000-000000000000");
        var agents = new[]
        {
            new AgentView("claude", "claude", "worktree", null, 1, 1800, 0, [], [
                new AccountView("claude/3fa9c2d1e0b4", "probing", "usageWindow", null, Now.AddMinutes(-40), "You've hit your limit", Now.AddMinutes(-40), 1, 2,
                    ProbeTask: probe, Running: 1, Waiting: 5),
            ]),
        };

        var line = Assert.Single(Rendered.Lines(console => AgentsView.Write(console, agents, Now)), l => l.Contains("claude/3fa9c2d1e0b4", StringComparison.Ordinal));

        Assert.Contains("probing (after a usage window; task 0b7e8f2a tests it)", line, StringComparison.Ordinal);
        Assert.Matches(@"\b1\s+5\b", line);
    }

    [Fact]
    public void Without_accounts_no_account_table_is_written()
    {
        var lines = Rendered.Lines(console => AgentsView.Write(console, [new AgentView("shell", "/bin/sh", "worktree", null, 1, 3600, 0, [])], Now));

        Assert.DoesNotContain(lines, l => l.Contains("ACCOUNT", StringComparison.Ordinal));
    }
}
