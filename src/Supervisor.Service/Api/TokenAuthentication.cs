using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Supervisor.Service.Api;

/// <summary>When a token is configured, every /api request must carry it as a bearer token.</summary>
sealed class TokenAuthentication(RequestDelegate next, IOptions<ApiOptions> options)
{
    readonly byte[]? _token = string.IsNullOrEmpty(options.Value.Token) ? null : Encoding.UTF8.GetBytes(options.Value.Token);

    public Task InvokeAsync(HttpContext context)
    {
        if (_token is null || !context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
            return next(context);

        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), _token))
        {
            return next(context);
        }

        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "A bearer token is required.",
            detail: "Send 'Authorization: Bearer <token>' (the supervisor CLI reads SUPERVISOR_TOKEN).").ExecuteAsync(context);
    }
}
