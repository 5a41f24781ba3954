namespace Supervisor.Service.Api;

/// <summary>
/// What a token may do, each role including the ones below it: the roles of <see cref="Supervisor.Contracts.ApiTokenFormat.Roles"/>,
/// in the same order and named the same (<see cref="ApiRoles.Name"/>). An admin may do everything (accounts' budgets,
/// dead letters). Which endpoint needs which role: <see cref="ApiRoles"/>.
/// </summary>
public enum ApiRole
{
    Viewer = 0,
    Submitter = 1,
    Approver = 2,
    Admin = 3,
}
