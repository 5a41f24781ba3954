namespace Supervisor.Service.Dashboard;

/// <summary>How the dashboard's sign-in travels: the token itself, in a cookie no script can read.</summary>
public static class DashboardCookie
{
    /// <summary>The cookie's name: http-only, SameSite=Strict, Secure over HTTPS and on loopback, for <see cref="Lifetime"/>.</summary>
    public const string Name = "supervisor_token";

    /// <summary>
    /// The header every command sent with the cookie must carry (any value; the dashboard sends <c>1</c>). Another site's
    /// page cannot add it without a CORS preflight, which the service never grants.
    /// </summary>
    public const string CommandHeader = "X-Supervisor-Dashboard";

    /// <summary>How long a sign-in lasts; signing out, or the token leaving the configuration, ends it sooner.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);
}
