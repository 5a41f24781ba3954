using System.CommandLine;

namespace Supervisor.Cli.Commands;

/// <summary>Options every command accepts.</summary>
static class GlobalOptions
{
    public const string DefaultApi = "http://127.0.0.1:5080";

    public static readonly Option<string> Api = new("--api")
    {
        Description = "Base URL of the supervisor service (env SUPERVISOR_API)",
        HelpName = "URL",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SUPERVISOR_API") is { Length: > 0 } url ? url : DefaultApi,
        Validators = { result => ValidateApiUrl(result) },
    };

    // No DefaultValueFactory: help prints defaults, and a token must never appear there.
    public static readonly Option<string> Token = new("--token")
    {
        Description = "Bearer token for the API (env SUPERVISOR_TOKEN)",
        HelpName = "TOKEN",
        Recursive = true,
    };

    public static readonly Option<string> CaCert = new("--ca-cert")
    {
        Description = "PEM file of the certificate authority (or the self-signed certificate) to trust for an https:// API, "
            + "instead of the system's (env SUPERVISOR_CA_CERT)",
        HelpName = "FILE",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the API's JSON instead of formatted output",
        Recursive = true,
    };

    public static string? TokenFrom(ParseResult parse) =>
        parse.GetValue(Token) is { Length: > 0 } token ? token
        : Environment.GetEnvironmentVariable("SUPERVISOR_TOKEN") is { Length: > 0 } fromEnv ? fromEnv
        : null;

    public static string? CaCertFrom(ParseResult parse) =>
        parse.GetValue(CaCert) is { Length: > 0 } file ? file
        : Environment.GetEnvironmentVariable("SUPERVISOR_CA_CERT") is { Length: > 0 } fromEnv ? fromEnv
        : null;

    public static Uri ApiFrom(ParseResult parse)
    {
        var text = parse.GetValue(Api) ?? DefaultApi;
        return TryParseApiUrl(text, out var uri)
            ? uri
            : throw new UsageException($"--api '{text}' is not an absolute http(s) URL, e.g. {DefaultApi}");
    }

    static void ValidateApiUrl(System.CommandLine.Parsing.OptionResult result)
    {
        var text = result.GetValueOrDefault<string>();
        if (!TryParseApiUrl(text, out _))
        {
            result.AddError($"--api '{text}' is not an absolute http(s) URL, e.g. {DefaultApi}");
        }
    }

    static bool TryParseApiUrl(string? text, out Uri uri)
    {
        uri = null!;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps))
        {
            return false;
        }

        // A trailing slash makes relative paths like "api/tasks" resolve under a path prefix (http://host/supervisor/).
        uri = parsed.AbsoluteUri.EndsWith('/') ? parsed : new Uri(parsed.AbsoluteUri + "/");
        return true;
    }
}
