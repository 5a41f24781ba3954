namespace Supervisor.Service.Api;

/// <summary>Who made a request, as the audit trail records it: the name of the token it carried.</summary>
static class Caller
{
    /// <summary>
    /// The token's name (<c>anonymous</c> when the development flag let a caller in without one). Every endpoint that
    /// records a caller requires a role, so the name is always there; the fallback only guards against a mapping mistake.
    /// </summary>
    public static string Name(HttpContext http) => http.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : "unknown";
}
