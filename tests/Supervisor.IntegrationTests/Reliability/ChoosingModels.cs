using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;
using static Supervisor.IntegrationTests.Reliability.RetryAndFallback;

namespace Supervisor.IntegrationTests.Reliability;

/// <summary>
/// A task names the model its first agent uses (<c>model</c>): the agent process gets it through <c>{model}</c>, the
/// attempt records it, and an agent the task falls back to uses its own default.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class ChoosingModels(ReliabilityFixture fixture)
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    readonly ApiClient _api = fixture.Stack.Api;

    [Fact]
    public async Task The_named_model_reaches_the_first_agent_and_a_fallback_agent_uses_its_own()
    {
        var id = await _api.SubmitAsync(new { prompt = "fail", agents = new[] { "tuned", "tuned2" }, model = "tuned-small" });

        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Succeeded", State(task));
        Assert.Equal("tuned-small", task["model"]!.GetValue<string>());
        Assert.Equal([("tuned", "tuned-small"), ("tuned2", "tuned2-default")],
            Attempts(task).Select(a => (a["agent"]!.GetValue<string>(), a["model"]!.GetValue<string>())));
        var output = string.Concat((await _api.CompleteLogsAsync(id)).Select(c => c!["text"]!.GetValue<string>()));
        Assert.Contains("model tuned-small\n", output, StringComparison.Ordinal);
        Assert.Contains("model tuned2-default\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_model_the_profile_default_is_used()
    {
        var id = await _api.SubmitAsync(new { prompt = "ok", agent = "tuned" });

        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Succeeded", State(task));
        Assert.Null(task["model"]);
        Assert.Equal("tuned-default", Attempts(task).Single()["model"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("tuned", "tuned-huge", "'tuned-huge' is not one of agent 'tuned''s models: tuned-default, tuned-small.")]
    [InlineData("tuned", "--dangerous", "'--dangerous' is not a model name")]
    [InlineData("alpha", "any", "agent 'alpha' takes no model: its profile does not use {model}.")]
    public async Task A_model_the_agent_cannot_take_is_a_400_naming_model(string agent, string model, string message)
    {
        using var response = await _api.Http.PostAsJsonAsync("/api/tasks", new { prompt = "ok", agent, model });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.StartsWith(message, problem["errors"]!["model"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
