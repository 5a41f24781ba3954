using System.Text.Json;
using Supervisor.Cli;
using Supervisor.Cli.Api;
using Supervisor.Cli.Commands;

namespace Supervisor.Tests.Cli;

/// <summary>
/// <c>supervisor submit --agent NAME [--fallback] [--model M]</c>: a named agent runs alone unless the task asks for its
/// Fallback chain, and with the model the task names. The request is built and serialized, not posted.
/// </summary>
public sealed class SubmitAgentSpecs
{
    [Fact]
    public void An_agent_alone_sends_no_fallback_and_runs_on_that_agent_only()
    {
        var body = Body("submit", "fix it", "--agent", "claude");

        Assert.Equal("claude", body.GetProperty("agent").GetString());
        Assert.False(body.TryGetProperty("fallback", out _));
    }

    [Fact]
    public void A_model_is_sent_as_given() =>
        Assert.Equal("gpt-5.5-mini", Body("submit", "fix it", "--agent", "codex", "--model", "gpt-5.5-mini").GetProperty("model").GetString());

    [Fact]
    public void Fallback_with_an_agent_is_sent() =>
        Assert.True(Body("submit", "fix it", "--agent", "claude", "--fallback").GetProperty("fallback").GetBoolean());

    [Theory]
    [InlineData("submit", "fix it", "--fallback")]
    [InlineData("submit", "fix it", "--agents", "claude,codex", "--fallback")]
    [InlineData("schedule", "add", "--every", "1h", "--agents", "claude,codex", "--fallback", "fix it")]
    public void Fallback_without_a_single_agent_is_a_usage_error(params string[] args)
    {
        var parse = SupervisorCli.Build().Parse(args);

        Assert.Contains(parse.Errors, e => e.Message == "--fallback needs --agent (an --agents list is the whole chain)");
    }

    static JsonElement Body(params string[] args)
    {
        var parse = SupervisorCli.Build().Parse(args);
        Assert.Empty(parse.Errors);
        var json = JsonSerializer.Serialize(SubmitCommand.BuildRequest(parse), ApiClient.JsonOptions);
        return JsonDocument.Parse(json).RootElement.Clone();
    }
}
