namespace Supervisor.Service.Api;

/// <summary>What the API says once at start about how it is protected.</summary>
static partial class ApiStartLog
{
    [LoggerMessage(LogLevel.Warning, "!!! {Section}:AllowAnonymous is true: any local caller without a token acts as '{Name}', an admin that may approve "
        + "any task. For development only; never on a shared machine !!!")]
    public static partial void AnonymousAllowed(ILogger logger, string section, string name);
}
