using System.Security.Cryptography;
using System.Text;

namespace Supervisor.Contracts;

/// <summary>
/// What an API token is, for the service that checks it and the CLI that makes it (<c>supervisor tokens new</c>): how
/// it is stored, how it may be named, which names are taken, and which roles it may hold. The stored form, the names
/// and the roles appear in operators' configuration and are part of the public interface.
/// </summary>
public static class ApiTokenFormat
{
    /// <summary>The start of a stored token: the hash it is stored as.</summary>
    public const string HashPrefix = "sha256:";

    /// <summary>The rule of <see cref="IsName"/> in words, as error messages give it.</summary>
    public const string NameRule = "a token's name is 1 to 64 letters, digits, '.', '_', '@' or '-'";

    /// <summary>The name of the service's single shared token (configured in clear, an admin) on the audit trail.</summary>
    public const string SharedName = "shared";

    /// <summary>The name of callers without a token, when the service allows them (development only, an admin).</summary>
    public const string AnonymousName = "anonymous";

    /// <summary>Names the service gives identities of its own; no named token may have one.</summary>
    public static readonly IReadOnlyList<string> ReservedNames = [AnonymousName, SharedName];

    /// <summary>
    /// The roles a token may hold, least first; each includes the ones before it. A viewer reads, a submitter also
    /// submits and steers tasks and schedules, an approver also decides on tasks that await approval and sets task
    /// budgets, an admin may do everything.
    /// </summary>
    public static readonly IReadOnlyList<string> Roles = ["viewer", "submitter", "approver", "admin"];

    /// <summary>
    /// The stored form of <paramref name="token"/>: <see cref="HashPrefix"/> and the SHA-256 of its UTF-8 text in
    /// lower-case hexadecimal. A token is 32 random bytes, so a fast unsalted hash is enough: nobody can search 2^256
    /// secrets for a match.
    /// </summary>
    public static string Hash(string token) => HashPrefix + Convert.ToHexStringLower(Digest(token));

    /// <summary>The SHA-256 of <paramref name="token"/>'s UTF-8 text: what a stored form holds.</summary>
    public static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>The digest a stored form holds (hexadecimal of either case), or null when it is not one.</summary>
    public static byte[]? ParseHash(string? stored)
    {
        if (stored is null || !stored.StartsWith(HashPrefix, StringComparison.OrdinalIgnoreCase) || stored.Length != HashPrefix.Length + 64)
            return null;
        try
        {
            return Convert.FromHexString(stored.AsSpan(HashPrefix.Length));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="name"/> may name a token (<see cref="NameRule"/>); it is who the audit trail says acted.</summary>
    public static bool IsName(string name) =>
        name.Length is >= 1 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '@' or '-');
}
