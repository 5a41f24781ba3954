using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Supervisor.Service.Dashboard;

namespace Supervisor.Service.Api;

/// <summary>
/// <c>Authorization: Bearer &lt;token&gt;</c> against the configured tokens (<see cref="ApiTokens"/>). The caller's name is
/// the token's name, and its role the token's role. Without a header, the dashboard's sign-in cookie
/// (<see cref="DashboardCookie"/>) carries the token; without either the caller is anonymous (refused, 401) unless
/// <c>Supervisor:Api:AllowAnonymous</c> makes it the <c>anonymous</c> admin. Both refusals are problem bodies.
/// </summary>
public sealed class BearerTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory loggers, UrlEncoder encoder, ApiTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggers, encoder)
{
    public const string SchemeName = "Bearer";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0 && Request.Cookies[DashboardCookie.Name] is { Length: > 0 } signedIn)
            return Task.FromResult(FromCookie(signedIn));
        if (header.Length == 0)
        {
            return Task.FromResult(tokens.Anonymous is { } anonymous
                ? AuthenticateResult.Success(new AuthenticationTicket(anonymous, SchemeName))
                : AuthenticateResult.NoResult());
        }

        const string prefix = SchemeName + " ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            return Task.FromResult(AuthenticateResult.Fail("The Authorization header is not 'Bearer <token>'."));
        return Task.FromResult(tokens.Find(header[prefix.Length..].Trim()) is { } identity
            ? AuthenticateResult.Success(new AuthenticationTicket(identity, SchemeName))
            : AuthenticateResult.Fail("The bearer token is not one of the configured tokens."));
    }

    /// <summary>
    /// The dashboard's sign-in: the token in an http-only cookie that only this site's own pages send (SameSite=Strict).
    /// A command must also carry <see cref="DashboardCookie.CommandHeader"/>, which a page from another site cannot add
    /// without the service's consent (it gives none): a cookie alone never changes anything.
    /// </summary>
    AuthenticateResult FromCookie(string token)
    {
        if (tokens.Find(token) is not { } identity)
            return AuthenticateResult.Fail("The dashboard's sign-in is no longer valid (its token is not one of the configured tokens); sign in again.");
        if (!HttpMethods.IsGet(Request.Method) && !HttpMethods.IsHead(Request.Method) && Request.Headers[DashboardCookie.CommandHeader].Count == 0)
            return AuthenticateResult.Fail($"A command signed in by the dashboard's cookie must carry the header {DashboardCookie.CommandHeader}.");
        return AuthenticateResult.Success(new AuthenticationTicket(identity, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = SchemeName;
        await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "A bearer token is required.",
            detail: (result.Failure?.Message is { } why ? why + " " : "")
                + "Send 'Authorization: Bearer <token>' (the supervisor CLI reads SUPERVISOR_TOKEN).").ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var needed = Context.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).LastOrDefault(p => p is not null);
        var role = Context.User.FindFirst(System.Security.Claims.ClaimTypes.Role)?.Value;
        return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "This token's role may not do this.",
            detail: $"Token '{Context.User.Identity?.Name}' is a {role}; {Request.Method} {Request.Path} needs the role {needed} or above "
                + "(viewer < submitter < approver < admin).").ExecuteAsync(Context);
    }
}
