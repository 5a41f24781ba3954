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
                new AccountView("claude/3fa9c2d1e0b4", "blocked", "usageWindow", Now.AddMinutes(11), Now.AddMinutes(-4), "You've hit your limit", Now.AddMinutes(-4), 1, 2),
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
        var codex = Assert.Single(lines, l => l.Contains("codex/00aa11bb22cc", StringComparison.Ordinal));
        Assert.Contains(" ok ", codex, StringComparison.Ordinal);
        Assert.Contains("2h ago: 429 Too Many Requests", codex, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_accounts_no_account_table_is_written()
    {
        var lines = Rendered.Lines(console => AgentsView.Write(console, [new AgentView("shell", "/bin/sh", "worktree", null, 1, 3600, 0, [])], Now));

        Assert.DoesNotContain(lines, l => l.Contains("ACCOUNT", StringComparison.Ordinal));
    }
}
