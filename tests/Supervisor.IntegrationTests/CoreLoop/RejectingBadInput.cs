using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.CoreLoop;

[Collection(CoreLoopCollection.Name)]
public sealed class RejectingBadInput(CoreLoopFixture fixture)
{
    readonly ApiClient _api = fixture.Stack.Api;

    public static TheoryData<string, string> Cases => new()
    {
        { """{"prompt": ""}""", "prompt" },
        { """{"prompt": "   "}""", "prompt" },
        { """{}""", "prompt" },
        { """{"prompt": "x", "agent": "no-such-agent"}""", "agent" },
        { """{"prompt": "x", "agents": ["shell", "ghost"]}""", "agents" },
        { """{"prompt": "x", "agents": ["shell", "shell"]}""", "agents" },
        { """{"prompt": "x", "agent": "shell", "agents": ["shell"]}""", "agents" },
        { """{"prompt": "x", "agents": ["shell", "claude"], "fallback": true}""", "fallback" },
        { """{"prompt": "x", "agent": "shell", "fallback": "yes"}""", "fallback" },
        { """{"prompt": "x", "agents": ["claude", "shell"], "fallback": true, "model": "claude-opus-4-5"}""", "fallback" },
        { """{"prompt": "x", "model": "gpt-5.5"}""", "model" },
        { """{"prompt": "x", "repository": {"path": "/no/such/dir"}}""", "repository.path" },
        { """{"prompt": "x", "repository": {"path": "relative/dir"}}""", "repository.path" },
        { """{"prompt": "x", "repository": {"path": "/tmp"}}""", "repository.path" },
        { """{"prompt": "x", "repository": {"url": "https://x-access-token:ghp_secret@github.com/acme/web.git"}}""", "repository.url" },
        { """{"prompt": "x", "repository": {"url": "https://not-allowed.example/acme/web.git"}}""", "repository.url" },
        { """{"prompt": "x", "repository": {"url": "ext::sh -c id"}}""", "repository.url" },
        { """{"prompt": "x", "repository": {"url": "git://127.0.0.1/web.git", "pushTo": "a..b"}}""", "repository.pushTo" },
        { """{"prompt": "x", "repository": {"url": "git://127.0.0.1/web.git", "baseRef": "--upload-pack=x"}}""", "repository.baseRef" },
        { """{"prompt": "x", "repository": {"path": "/tmp", "pushTo": "main"}}""", "repository.pushTo" },
        { """{"prompt": "x", "risk": "extreme"}""", "risk" },
        { """{"prompt": "x", "timeoutSeconds": 0}""", "timeoutSeconds" },
        { """{"prompt": "x", "timeoutSeconds": "soon"}""", "timeoutSeconds" },
        { """{"prompt": 42}""", "prompt" },
        { """{"prompt": "x", "labels": {"bad key!": "v"}}""", "labels.bad key!" },
        { """not json""", "body" },
        { """{"prompt": "x", "runAt": "2020-01-01T00:00:00Z"}""", "runAt" },
        { """{"prompt": "x", "runAt": "2099-01-01T00:00:00"}""", "runAt" },
        { """{"prompt": "x", "runAt": "tomorrow"}""", "runAt" },
        { """{"prompt": "x", "runAt": "2999-01-01T00:00:00Z"}""", "runAt" },
        { """{"prompt": "x", "runAt": 5}""", "runAt" },
        { """{"prompt": "x", "onLimit": "retry"}""", "onLimit" },
        { """{"prompt": "x", "maxWait": "soon"}""", "maxWait" },
        { """{"prompt": "x", "maxWait": "15"}""", "maxWait" },
        { """{"prompt": "x", "maxWait": "8d"}""", "maxWait" },
        { """{"prompt": "x", "maxWait": 900}""", "maxWait" },
        { """{"prompt": "x", "maxWindows": 0}""", "maxWindows" },
        { """{"prompt": "x", "maxWindows": 101}""", "maxWindows" },
        { """{"prompt": "x", "concurrencyKey": "  "}""", "concurrencyKey" },
        { $$"""{"prompt": "x", "concurrencyKey": "{{new string('k', 201)}}"}""", "concurrencyKey" },
        { """{"prompt": "x", "concurrencyKey": 5}""", "concurrencyKey" },
        { """{"prompt": "x", "concurrencyKey": "repo=web", "concurrencyLimit": 0}""", "concurrencyLimit" },
        { """{"prompt": "x", "concurrencyKey": "repo=web", "concurrencyLimit": 101}""", "concurrencyLimit" },
        { """{"prompt": "x", "concurrencyLimit": 2}""", "concurrencyLimit" },
        { """{"prompt": "x", "concurrencyKey": "repo=web", "concurrencyStrategy": "cancel-running"}""", "concurrencyStrategy" },
        { """{"prompt": "x", "concurrencyStrategy": "queue"}""", "concurrencyStrategy" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_is_a_400_problem_naming_the_field_and_creates_nothing(string body, string field)
    {
        var id = Guid.NewGuid();
        var withId = body.StartsWith('{') && body.Length > 2 ? body.Insert(1, $"\"id\": \"{id}\", ") : body;

        using var response = await _api.Http.PostAsync("/api/tasks", new StringContent(withId, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), $"expected an error for '{field}', got {problem.ToJsonString()}");
        Assert.False(string.IsNullOrWhiteSpace(errors[field]![0]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.NotFound, (await _api.Http.GetAsync($"/api/tasks/{id}")).StatusCode);
    }

    [Fact]
    public async Task A_missing_base_ref_is_rejected()
    {
        using var repo = await GitRepository.CreateAsync();

        using var response = await _api.Http.PostAsJsonAsync("/api/tasks", new { prompt = "x", repository = new { path = repo.Path, baseRef = "no-such-branch" } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains("no-such-branch", problem["errors"]!["repository.baseRef"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task An_oversized_prompt_is_rejected()
    {
        using var response = await _api.Http.PostAsJsonAsync("/api/tasks", new { prompt = new string('x', 300 * 1024) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains("limit", problem["errors"]!["prompt"]![0]!.GetValue<string>());
    }

    public static TheoryData<string, string> ListCases => new()
    {
        { "/api/tasks?state=Done", "state" },
        { "/api/tasks?label==web", "label" },
        { "/api/tasks?text=" + new string('x', 201), "text" },
        { "/api/tasks?before=the-last-one", "before" },
        { "/api/tasks/counts?agent=" + new string('a', 101), "agent" },
        { "/api/tasks/counts?idPrefix=xyz", "idPrefix" },
    };

    [Theory]
    [MemberData(nameof(ListCases))]
    public async Task A_bad_list_filter_is_a_400_problem_naming_the_parameter(string path, string field)
    {
        using var response = await _api.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(problem["errors"]?[field] is not null, $"expected an error for '{field}', got {problem.ToJsonString()}");
    }

    [Fact]
    public async Task An_unknown_task_is_a_404_problem()
    {
        using var response = await _api.Http.GetAsync($"/api/tasks/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
