using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Hosting;
using Supervisor.Service.Api;
using Supervisor.Settings;

namespace Supervisor.Tests.Api;

/// <summary>Submits judged by <see cref="SubmitTaskValidator"/> with one agent configured, <c>shell</c>.</summary>
static class ShellSubmits
{
    /// <summary>The validator's errors for <paramref name="request"/>, by field.</summary>
    public static Task<Dictionary<string, string[]>> ErrorsAsync(SubmitTaskRequest request)
    {
        var agents = new SupervisorOptions();
        agents.Agents["shell"] = new AgentOptions { Command = "/bin/sh" };
        var validator = new SubmitTaskValidator(new AgentCatalog(Options.Create(agents)), Options.Create(new ApiOptions()),
            Options.Create(new GitOptions { AllowedHosts = ["github.com"] }), Options.Create(new BrokerOptions()), new GitProbe(), TimeProvider.System);
        return validator.ValidateAsync(request, CancellationToken.None);
    }
}
