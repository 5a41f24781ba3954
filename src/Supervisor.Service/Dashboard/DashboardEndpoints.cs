using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.FileProviders;
using Supervisor.Service.Api;

namespace Supervisor.Service.Dashboard;

/// <summary>
/// The web dashboard, served by the service itself: a page at <c>/</c> and its script and style under <c>/ui/</c>, all
/// embedded in this assembly (no second server, nothing fetched from elsewhere). The page reads the same API as the CLI,
/// signed in by the token in <see cref="DashboardCookie"/>, so every role check is the API's.
/// </summary>
public static class DashboardEndpoints
{
    /// <summary>What the dashboard's pages may load and where they may connect: this service only.</summary>
    const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'";

    static readonly ManifestEmbeddedFileProvider Site = new ManifestEmbeddedFileProvider(typeof(DashboardEndpoints).Assembly, "Dashboard/Site");

    /// <summary>The pages and the sign-in; open to anyone, since they hold no data (the API calls they make need a token).</summary>
    public static WebApplication MapDashboard(this WebApplication app)
    {
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = Site,
            RequestPath = "/ui",
            OnPrepareResponse = c =>
            {
                Secure(c.Context.Response);
                // Embedded in the binary: a new version is a restart, and a page must not run an old script against it.
                c.Context.Response.Headers.CacheControl = "no-cache";
            },
        });

        app.MapGet("/", async (HttpContext http) =>
        {
            if (!(await http.AuthenticateAsync(BearerTokenHandler.SchemeName)).Succeeded)
                return Results.Redirect("/sign-in");
            return Page(http, "index.html");
        }).AllowAnonymous().ExcludeFromDescription();

        app.MapGet("/sign-in", (HttpContext http) => SignInPage(http, null, StatusCodes.Status200OK)).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/sign-in", SignInAsync).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapPost("/sign-out", (HttpContext http) =>
        {
            http.Response.Cookies.Delete(DashboardCookie.Name, Cookie(http, TimeSpan.Zero));
            return Results.Redirect("/sign-in");
        }).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        return app;
    }

    /// <summary>
    /// <c>GET /api/me</c> (who the caller is, for the page to show only the buttons its role may use) and
    /// <c>GET /api/events</c> (<see cref="TaskChanges"/>), on the API's group so that they need a token like every read.
    /// </summary>
    public static IEndpointRouteBuilder MapDashboardApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/me", (HttpContext http) => TypedResults.Ok(new CallerView(
                http.User.Identity?.Name ?? "unknown", http.User.FindFirst(ClaimTypes.Role)?.Value ?? ApiRole.Viewer.Name())))
            .WithTags("Dashboard")
            .WithName("GetCaller")
            .WithSummary("Who the caller is: the token's name and role");
        app.MapGet("/api/events", (TaskChanges changes, CancellationToken cancellationToken) => TypedResults.ServerSentEvents(changes.StreamAsync(cancellationToken)))
            .WithTags("Dashboard")
            .WithName("FollowChanges")
            .WithSummary("Hear when tasks change")
            .WithDescription("Server-sent events: `changed` at once and whenever any task changes state or gains a line on its audit trail (data: "
                + "`{\"transition\": <the newest line's id>}`), `ping` after 15 quiet seconds. Carries no task data: read what you show again.")
            .Produces<TaskChange>(StatusCodes.Status200OK, "text/event-stream");
        return app;
    }

    static async Task<IResult> SignInAsync(HttpContext http, ApiTokens tokens)
    {
        if (!http.Request.HasFormContentType)
            return SignInPage(http, "Sign in with the form: the token as the field 'token'.", StatusCodes.Status400BadRequest);
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var token = form["token"].ToString().Trim();
        if (token.Length == 0)
            return SignInPage(http, "token: enter an API token (SUPERVISOR_TOKEN, or one of Supervisor:Api:Tokens).", StatusCodes.Status400BadRequest);
        if (tokens.Find(token) is null)
            return SignInPage(http, "token: this is not one of the configured tokens.", StatusCodes.Status401Unauthorized);
        if (!http.Request.IsHttps && !IsLoopback(http))
        {
            return SignInPage(http, $"This page was reached over plain HTTP at {http.Request.Host.Host}, so the token would cross the network in clear. "
                + "Serve the API over HTTPS (Supervisor:Api:Certificate), or open the dashboard at localhost (on the service's machine, or through an ssh tunnel).",
                StatusCodes.Status403Forbidden);
        }

        http.Response.Cookies.Append(DashboardCookie.Name, token, Cookie(http, DashboardCookie.Lifetime));
        return Results.Redirect("/");
    }

    static CookieOptions Cookie(HttpContext http, TimeSpan lifetime) => new()
    {
        HttpOnly = true,
        // Browsers treat loopback as a secure origin, so the cookie is Secure there too, even over plain HTTP.
        Secure = http.Request.IsHttps || IsLoopback(http),
        SameSite = SameSiteMode.Strict,
        Path = "/",
        MaxAge = lifetime,
        IsEssential = true,
    };

    /// <summary>
    /// Whether the browser reached the service by a loopback address (<c>localhost</c>, <c>127.0.0.1</c>, <c>[::1]</c>): then
    /// nothing crosses a network in clear, whatever address the connection comes from (a Compose stack's port mapping, an
    /// ssh tunnel), and the browser treats the page as a secure origin. Only the browser's own sign-in depends on it.
    /// </summary>
    static bool IsLoopback(HttpContext http) => ApiOptions.IsLoopbackHost(http.Request.Host.Host);

    static IResult Page(HttpContext http, string name)
    {
        Secure(http.Response);
        http.Response.Headers.CacheControl = "no-store";
        return Results.Stream(Site.GetFileInfo(name).CreateReadStream(), "text/html; charset=utf-8");
    }

    static IResult SignInPage(HttpContext http, string? error, int status)
    {
        Secure(http.Response);
        using var reader = new StreamReader(Site.GetFileInfo("sign-in.html").CreateReadStream());
        var html = reader.ReadToEnd().Replace("{{error}}",
            error is null ? "" : $"<p class=\"error\" role=\"alert\">{HtmlEncoder.Default.Encode(error)}</p>", StringComparison.Ordinal);
        return Results.Content(html, "text/html; charset=utf-8", statusCode: status);
    }

    static void Secure(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.XFrameOptions = "DENY";
    }
}

/// <summary>The caller as <c>GET /api/me</c> shows it: its token's name and role (viewer, submitter, approver, admin).</summary>
public sealed record CallerView(string Name, string Role);
