using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Supervisor.Service.Api;

/// <summary>
/// The role each endpoint needs, in one table (docs/security.md prints it): every read needs a viewer; the verbs below
/// need the role named; anything else — an endpoint added later and not listed here — needs an admin, so that a new
/// endpoint is never more open than intended. Applied to every endpoint of the API group as an authorization policy
/// named after the role.
/// </summary>
public static class ApiRoles
{
    /// <summary>Endpoints other than reads, by method and route pattern, and the least role that may call them.</summary>
    public static readonly IReadOnlyDictionary<string, ApiRole> Commands = new Dictionary<string, ApiRole>(StringComparer.Ordinal)
    {
        ["POST /api/tasks/"] = ApiRole.Submitter,
        ["POST /api/tasks/{id:guid}/cancel"] = ApiRole.Submitter,
        ["POST /api/tasks/{id:guid}/pause"] = ApiRole.Submitter,
        ["POST /api/tasks/{id:guid}/resume"] = ApiRole.Submitter,
        ["POST /api/tasks/{id:guid}/retry"] = ApiRole.Submitter,
        // Unknown verbs: answered with 404 and the list of verbs, to whoever may use some of them.
        ["POST /api/tasks/{id:guid}/{verb}"] = ApiRole.Submitter,
        ["POST /api/tasks/{id:guid}/approve"] = ApiRole.Approver,
        ["POST /api/tasks/{id:guid}/reject"] = ApiRole.Approver,
        // A budget decides how much a task may spend: the approver's call, as a high-risk task's start is.
        ["POST /api/tasks/{id:guid}/budget"] = ApiRole.Approver,
        ["POST /api/schedules/"] = ApiRole.Submitter,
        ["DELETE /api/schedules/{id:guid}"] = ApiRole.Submitter,
        ["POST /api/schedules/{id:guid}/pause"] = ApiRole.Submitter,
        ["POST /api/schedules/{id:guid}/resume"] = ApiRole.Submitter,
        ["POST /api/schedules/{id:guid}/trigger"] = ApiRole.Submitter,
        ["POST /api/accounts/{id}/budget"] = ApiRole.Admin,
        ["POST /api/dead-letters/redrive"] = ApiRole.Admin,
        ["POST /api/dead-letters/purge"] = ApiRole.Admin,
    };

    /// <summary>The policy name of a role: its name in lower case, as configured (<c>Supervisor:Api:Tokens:&lt;name&gt;:Role</c>).</summary>
    public static string Name(this ApiRole role) => role.ToString().ToLowerInvariant();

    /// <summary>The role an endpoint needs: viewer for a read, the table's for a listed command, admin for anything else.</summary>
    public static ApiRole For(string method, RoutePattern pattern)
    {
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))
            return ApiRole.Viewer;
        return Commands.TryGetValue($"{method} {Normalize(pattern)}", out var role) ? role : ApiRole.Admin;
    }

    /// <summary>A pattern as the table writes it: a leading slash, a group's <c>/</c> kept (<c>/api/tasks/</c>).</summary>
    static string Normalize(RoutePattern pattern) => "/" + (pattern.RawText ?? "").TrimStart('/');

    /// <summary>One policy per role: an authenticated caller whose role is that one or above.</summary>
    public static void AddRolePolicies(this AuthorizationOptions options)
    {
        foreach (var role in Enum.GetValues<ApiRole>())
        {
            options.AddPolicy(role.Name(), policy => policy
                .AddAuthenticationSchemes(BearerTokenHandler.SchemeName)
                .RequireAuthenticatedUser()
                .RequireRole(Enum.GetValues<ApiRole>().Where(r => r >= role).Select(r => r.Name())));
        }
    }

    /// <summary>Every endpoint of <paramref name="group"/> requires the role <see cref="For"/> gives it.</summary>
    public static void RequireRoles(this RouteGroupBuilder group) =>
        ((IEndpointConventionBuilder)group).Finally(endpoint =>
        {
            if (endpoint is not RouteEndpointBuilder route || endpoint.Metadata.OfType<IAllowAnonymous>().Any())
                return;
            var methods = endpoint.Metadata.OfType<HttpMethodMetadata>().LastOrDefault()?.HttpMethods ?? [];
            // An endpoint of several methods (or of any) needs the most any of them needs.
            var role = methods.Count == 0 ? ApiRole.Admin : methods.Select(m => For(m, route.RoutePattern)).Max();
            endpoint.Metadata.Add(new AuthorizeAttribute(role.Name()));
        });
}
