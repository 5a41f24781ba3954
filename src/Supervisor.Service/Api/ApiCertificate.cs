using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace Supervisor.Service.Api;

/// <summary>The certificate of the API's <c>https://</c> URLs, from <c>Supervisor:Api:Certificate</c>.</summary>
static class ApiCertificate
{
    /// <summary>The certificate with its private key; a file that does not load stops the start, naming the key.</summary>
    public static X509Certificate2 Load(ApiCertificateOptions options)
    {
        const string key = ApiOptions.Section + ":Certificate";
        try
        {
            X509Certificate2 certificate;
            if (options.KeyPath is { Length: > 0 } keyPath)
            {
                certificate = options.Password is { Length: > 0 } password
                    ? X509Certificate2.CreateFromEncryptedPemFile(options.Path!, password, keyPath)
                    : X509Certificate2.CreateFromPemFile(options.Path!, keyPath);
            }
            else
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(options.Path!, options.Password);
            }

            if (!certificate.HasPrivateKey)
                throw Refused($"{key}:Path: '{options.Path}' holds no private key (give a PKCS#12 file with one, or {key}:KeyPath).");
            return certificate;
        }
        catch (CryptographicException e)
        {
            throw Refused($"{key}:Path: '{options.Path}' could not be loaded ({e.Message.TrimEnd('.')}); check {key}:Password and {key}:KeyPath.");
        }
    }

    static OptionsValidationException Refused(string message) => new(ApiOptions.Section, typeof(ApiOptions), [message]);
}
