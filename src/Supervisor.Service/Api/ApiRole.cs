namespace Supervisor.Service.Api;

/// <summary>
/// What a token may do, each role including the ones below it: a viewer reads, a submitter also submits and steers
/// tasks and schedules, an approver also decides on tasks that await approval and sets task budgets, an admin may do
/// everything (accounts' budgets, dead letters). Which endpoint needs which role: <see cref="ApiRoles"/>.
/// </summary>
public enum ApiRole
{
    Viewer = 0,
    Submitter = 1,
    Approver = 2,
    Admin = 3,
}
