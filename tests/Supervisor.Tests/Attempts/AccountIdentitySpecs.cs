using Supervisor.Agents;
using Supervisor.Worker.Attempts;

namespace Supervisor.Tests.Attempts;

public sealed class AccountIdentitySpecs
{
    const string Endpoint = "http://127.0.0.1:4010/";

    static AgentOptions Claude(string key, string? account = null, string? endpoint = Endpoint)
    {
        var profile = new AgentOptions { Command = "claude", Endpoint = endpoint };
        profile.Env["ANTHROPIC_API_KEY"] = key;
        profile.Env["ANTHROPIC_BASE_URL"] = "{endpoint}";
        profile.Limits.Account = account;
        return profile;
    }

    [Fact]
    public void Two_keys_are_two_accounts_of_the_agent()
    {
        var first = AccountIdentity.Of("claude", Claude("sk-ant-first-0123456789"));
        var second = AccountIdentity.Of("claude", Claude("sk-ant-second-0123456789"));

        Assert.NotEqual(first, second);
        Assert.Matches("^claude/[0-9a-f]{12}$", first);
        Assert.Matches("^claude/[0-9a-f]{12}$", second);
    }

    [Fact]
    public void The_same_key_and_endpoint_is_the_same_account_on_every_worker()
    {
        Assert.Equal(AccountIdentity.Of("claude", Claude("sk-ant-same-0123456789")), AccountIdentity.Of("claude", Claude("sk-ant-same-0123456789")));
        // A trailing slash does not make another provider.
        Assert.Equal(AccountIdentity.Of("claude", Claude("sk-ant-same-0123456789", endpoint: "http://127.0.0.1:4010")),
            AccountIdentity.Of("claude", Claude("sk-ant-same-0123456789")));
    }

    [Fact]
    public void The_same_key_on_another_endpoint_is_another_account()
    {
        Assert.NotEqual(AccountIdentity.Of("claude", Claude("sk-ant-same-0123456789", endpoint: "https://api.anthropic.com")),
            AccountIdentity.Of("claude", Claude("sk-ant-same-0123456789")));
    }

    [Fact]
    public void Limits_Account_names_the_account_whatever_the_key()
    {
        Assert.Equal("team-subscription", AccountIdentity.Of("claude", Claude("sk-ant-first-0123456789", account: "team-subscription")));
        Assert.Equal("team-subscription", AccountIdentity.Of("claude-readonly", Claude("sk-ant-second-0123456789", account: "team-subscription")));
    }

    [Fact]
    public void A_profile_without_endpoint_or_key_has_no_account()
    {
        var shell = new AgentOptions { Command = "/bin/sh" };
        shell.Env["GREETING"] = "hello there";

        Assert.Null(AccountIdentity.Of("shell", shell));
    }

    [Fact]
    public void A_keyless_profile_with_an_endpoint_has_an_account_and_an_endpointless_one_with_a_key_too()
    {
        Assert.Matches("^local/[0-9a-f]{12}$", AccountIdentity.Of("local", new AgentOptions { Command = "llm", Endpoint = "http://ollama:11434" }));
        Assert.Matches("^claude/[0-9a-f]{12}$", AccountIdentity.Of("claude", Claude("sk-ant-only-0123456789", endpoint: null)));
    }

    [Fact]
    public void The_key_never_appears_in_the_account()
    {
        const string key = "sk-ant-api03-abcdef0123456789";
        var account = AccountIdentity.Of("claude", Claude(key))!;

        Assert.DoesNotContain(key, account, StringComparison.Ordinal);
        Assert.DoesNotContain("abcdef012345", account, StringComparison.Ordinal);
        Assert.DoesNotContain(key[^6..], account, StringComparison.Ordinal);
    }

    [Fact]
    public void A_variable_whose_name_is_not_secret_does_not_change_the_account()
    {
        var plain = Claude("sk-ant-same-0123456789");
        var withModel = Claude("sk-ant-same-0123456789");
        withModel.Env["ANTHROPIC_MODEL"] = "claude-sonnet-4-5";

        Assert.Equal(AccountIdentity.Of("claude", plain), AccountIdentity.Of("claude", withModel));
    }

    [Fact]
    public void The_heartbeat_lists_only_agents_with_an_account()
    {
        var profiles = new Dictionary<string, AgentOptions>(StringComparer.Ordinal)
        {
            ["claude"] = Claude("sk-ant-first-0123456789"),
            ["shell"] = new() { Command = "/bin/sh" },
        };

        var accounts = AccountIdentity.Of(["claude", "shell"], name => profiles[name]);

        Assert.Equal(["claude"], accounts.Keys);
        Assert.Equal(AccountIdentity.Of("claude", profiles["claude"]), accounts["claude"]);
    }
}
