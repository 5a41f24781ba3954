using System.Security.Cryptography;
using System.Text;

namespace Supervisor.Service.Api;

/// <summary>
/// How a token is stored: <c>sha256:</c> and the SHA-256 of its text in hexadecimal. A token is 32 random bytes (see
/// <c>supervisor tokens new</c>), so a fast unsalted hash is enough: nobody can search 2^256 secrets for a match.
/// </summary>
public static class ApiTokenHash
{
    public const string Prefix = "sha256:";

    /// <summary>The stored form of <paramref name="token"/>.</summary>
    public static string Of(string token) => Prefix + Convert.ToHexStringLower(Digest(token));

    /// <summary>The digest a stored form holds, or null when it is not one.</summary>
    public static byte[]? Parse(string? stored)
    {
        if (stored is null || !stored.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || stored.Length != Prefix.Length + 64)
            return null;
        try
        {
            return Convert.FromHexString(stored.AsSpan(Prefix.Length));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The SHA-256 of the token's UTF-8 text.</summary>
    public static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
