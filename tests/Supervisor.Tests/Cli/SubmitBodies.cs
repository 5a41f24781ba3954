using System.Text.Json;
using Supervisor.Cli;
using Supervisor.Cli.Api;
using Supervisor.Cli.Commands;

namespace Supervisor.Tests.Cli;

/// <summary>What the CLI sends: the JSON body of a parsed <c>submit</c>, or of any request it builds.</summary>
static class SubmitBodies
{
    /// <summary>The body <c>supervisor <paramref name="args"/></c> (a submit, parsed without errors) sends.</summary>
    public static JsonElement Body(params string[] args)
    {
        var parse = SupervisorCli.Build().Parse(args);
        Assert.Empty(parse.Errors);
        return Serialized(SubmitCommand.BuildRequest(parse));
    }

    /// <summary><paramref name="request"/> as the CLI serialises it.</summary>
    public static JsonElement Serialized<T>(T request) =>
        JsonDocument.Parse(JsonSerializer.Serialize(request, ApiClient.JsonOptions)).RootElement.Clone();
}
