using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Supervisor.Cli.Api;

namespace Supervisor.IntegrationTests.CoreLoop;

/// <summary>The service describes its API (OpenAPI at /openapi/v1.json, a Scalar reference at /scalar) and the CLI keeps to it.</summary>
[Collection(CoreLoopCollection.Name)]
public sealed partial class DescribingTheApi(CoreLoopFixture fixture)
{
    [Fact]
    public async Task Every_route_the_CLI_calls_is_a_named_operation_of_the_served_OpenAPI_document()
    {
        var document = JsonNode.Parse(await fixture.Stack.Api.Http.GetStringAsync("/openapi/v1.json"))!;
        var paths = document["paths"]!.AsObject();

        var routes = ApiRoutes.All.ToList();
        var operations = routes.Select(r => (Route: $"{r.Method} /{r.Template}", Operation: paths["/" + r.Template]?[r.Method.Method.ToLowerInvariant()]))
            .ToList();

        Assert.Equal(25, routes.Count);
        Assert.Empty(operations.Where(o => o.Operation is null).Select(o => o.Route));
        foreach (var (route, operation) in operations)
        {
            Assert.False(string.IsNullOrEmpty(operation!["operationId"]?.GetValue<string>()), $"{route} has no operationId");
            Assert.False(string.IsNullOrEmpty(operation["summary"]?.GetValue<string>()), $"{route} has no summary");
            Assert.NotNull(operation["responses"]!["401"]);
        }

        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["Bearer"]!["scheme"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_API_reference_loads_every_script_from_the_service_itself()
    {
        var page = await fixture.Stack.Api.Http.GetStringAsync("/scalar/");
        var scripts = ScriptSource().Matches(page).Select(m => m.Groups["src"].Value).ToList();

        Assert.NotEmpty(scripts);
        Assert.All(scripts, src => Assert.DoesNotContain("//", src, StringComparison.Ordinal));
        foreach (var src in scripts)
        {
            using var script = await fixture.Stack.Api.Http.GetAsync("/scalar/" + src);
            Assert.Equal(HttpStatusCode.OK, script.StatusCode);
            Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        }
    }

    [GeneratedRegex("<script[^>]* src=\"(?<src>[^\"]+)\"", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ScriptSource();
}
