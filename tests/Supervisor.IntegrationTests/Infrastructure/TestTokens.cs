using System.Security.Cryptography;
using System.Text;

namespace Supervisor.IntegrationTests.Infrastructure;

/// <summary>
/// The API tokens every test stack is configured with (as an operator would: hashes and roles in the service's
/// environment). <see cref="Admin"/> is what clients send unless a test says who acts: the people (alice, bob, …) are
/// admins too, so that a test can act as one and see that name on the audit trail; viewer, submitter and approver hold
/// the role they are named after.
/// </summary>
static class TestTokens
{
    public const string Admin = "tests";

    public static readonly IReadOnlyDictionary<string, string> Roles = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [Admin] = "admin",
        ["alice"] = "admin",
        ["bob"] = "admin",
        ["carol"] = "admin",
        ["dana"] = "admin",
        ["dave"] = "admin",
        ["erin"] = "admin",
        ["frank"] = "admin",
        ["test"] = "admin",
        ["viewer"] = "viewer",
        ["submitter"] = "submitter",
        ["approver"] = "approver",
    };

    /// <summary>The secret of <paramref name="name"/>'s token: fixed per name, so that every process of a run agrees on it.</summary>
    public static string Of(string name) =>
        Roles.ContainsKey(name) ? $"sup_test_{name}_7f3c9a1e5b2d4086" : throw new ArgumentException($"no test token is named '{name}'", nameof(name));

    /// <summary>As the service stores a token: <c>sha256:</c> and the hex of its SHA-256.</summary>
    public static string Hash(string token) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>The service's environment variables that configure <paramref name="names"/> (all of them by default).</summary>
    public static Dictionary<string, string> Environment(params string[] names)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names.Length > 0 ? names : Roles.Keys)
        {
            env[$"Supervisor__Api__Tokens__{name}__Hash"] = Hash(Of(name));
            env[$"Supervisor__Api__Tokens__{name}__Role"] = Roles[name];
        }

        return env;
    }

    /// <summary>Extra settings for <see cref="SupervisorStack.LaunchService"/> that remove every test token (an empty value unsets a key).</summary>
    public static Dictionary<string, string> None() => Environment().ToDictionary(e => e.Key, _ => "", StringComparer.Ordinal);
}
