using System.Security.Cryptography;
using System.Text;
using Supervisor.Agents;

namespace Supervisor.Worker.Attempts;

/// <summary>
/// The provider account a profile's attempts use, where its provider limits apply: <c>Limits:Account</c> when set
/// (profiles sharing one subscription); else, for a profile with an <c>Endpoint</c> or secret <c>Env</c> values, the
/// agent's name and a fingerprint of them (<c>claude/3fa9c2d1e0b4</c>); else none (the <c>shell</c> profile). Only the
/// worker holds the keys, so only it can name the account; the fingerprint is one-way and short, and the key itself is
/// never logged nor returned.
/// </summary>
public static class AccountIdentity
{
    /// <summary>Versions the fingerprint: a change of its recipe must not make an old account's blocks apply to a new one.</summary>
    const string Salt = "supervisor-account-v1\n";

    /// <summary>The account of <paramref name="agent"/>'s <paramref name="profile"/>; null when it has none.</summary>
    public static string? Of(string agent, AgentOptions profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (profile.Limits.Account is { Length: > 0 } configured)
            return configured;
        var secrets = AgentEnvironment.SecretEnv(profile).Select(kv => kv.Value).ToList();
        // A trailing slash does not make another provider: {endpoint} drops it too.
        var endpoint = profile.Endpoint?.TrimEnd('/') ?? "";
        if (endpoint.Length == 0 && secrets.Count == 0)
            return null;
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(Salt + endpoint + "\n" + string.Join('\n', secrets)));
        return $"{agent}/{Convert.ToHexStringLower(digest)[..12]}";
    }

    /// <summary>Each agent of <paramref name="agents"/> that has an account, with it (the heartbeat's <c>Accounts</c>).</summary>
    public static IReadOnlyDictionary<string, string> Of(IEnumerable<string> agents, Func<string, AgentOptions> profile)
    {
        ArgumentNullException.ThrowIfNull(agents);
        ArgumentNullException.ThrowIfNull(profile);
        var accounts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var agent in agents)
        {
            if (Of(agent, profile(agent)) is { } account)
                accounts[agent] = account;
        }

        return accounts;
    }
}
