using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Supervisor.Cli.Api;

/// <summary>
/// Which server certificates the CLI accepts for an https:// API: the system's trusted authorities by default; with
/// <c>--ca-cert</c> (<c>SUPERVISOR_CA_CERT</c>) only chains to the certificates in that PEM file — a private authority, or
/// the service's self-signed certificate itself. The host name is checked either way.
/// </summary>
static class ApiTrust
{
    public static HttpMessageHandler Handler(string? caCertificateFile)
    {
        var handler = new SocketsHttpHandler();
        if (caCertificateFile is null)
            return handler;

        X509Certificate2Collection authorities;
        try
        {
            authorities = [];
            authorities.ImportFromPemFile(caCertificateFile);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new TrustFileException($"--ca-cert '{caCertificateFile}': not a readable PEM certificate file ({e.Message.TrimEnd('.')}).");
        }

        if (authorities.Count == 0)
            throw new TrustFileException($"--ca-cert '{caCertificateFile}': holds no PEM certificate (-----BEGIN CERTIFICATE-----).");

        // The chain must end at one of these; the host name is checked as always.
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        handler.SslOptions.CertificateChainPolicy.CustomTrustStore.AddRange(authorities);
        return handler;
    }
}

/// <summary>The <c>--ca-cert</c> file cannot be used; the message names the option and the reason.</summary>
sealed class TrustFileException(string message) : Exception(message);
