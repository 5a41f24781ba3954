using Microsoft.Extensions.Configuration;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Worker.Attempts;

namespace Supervisor.Tests.Agents;

/// <summary>The shipped profiles (agents.json) and how a profile turns Endpoint, Model and Files into the agent's process.</summary>
public sealed class AgentProfileSpecs : IDisposable
{
    readonly string _workspace = Directory.CreateTempSubdirectory("profile-").FullName;

    public void Dispose()
    {
        Directory.Delete(_workspace, recursive: true);
        if (Directory.Exists(_workspace + ".home"))
            Directory.Delete(_workspace + ".home", recursive: true);
    }

    static SupervisorOptions Shipped(params (string Key, string Value)[] overrides)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "agents.json"))
            .AddInMemoryCollection(overrides.Select(o => KeyValuePair.Create(o.Key, (string?)o.Value)))
            .Build();
        var options = new SupervisorOptions();
        configuration.GetSection(SupervisorOptions.Section).Bind(options);
        return options;
    }

    static RunAgentJob Job(string agent) => new(Guid.NewGuid(), 1, 1, agent, "fix it", null, null, null, false);

    [Fact]
    public void The_shipped_profiles_are_valid_without_keys()
    {
        var options = Shipped();

        Assert.Empty(options.Validate());
        Assert.Equal(["claude", "codex", "gemini"], new AgentCatalog(Microsoft.Extensions.Options.Options.Create(options)).ResolveChain(["claude"], followFallback: true).Chain);
        Assert.All(new[] { "claude", "codex", "gemini", "copilot" }, name => Assert.NotEqual("plain", options.Agents[name].OutputFormat));
    }

    [Fact]
    public void No_shipped_profile_lets_a_prompt_become_an_option()
    {
        var options = Shipped();

        Assert.All(options.Agents, a => Assert.False(a.Value.PromptMayBeOption, $"{a.Key}: {string.Join(' ', a.Value.Args)}"));
    }

    [Theory]
    [InlineData(true, "-c", "{prompt}")]
    [InlineData(true, "-p", "{prompt}", "--", "x")]
    [InlineData(false, "-c", "--", "{prompt}")]
    [InlineData(false, "--prompt={prompt}")]
    [InlineData(false, "run")]
    public void A_whole_argument_prompt_before_any_double_dash_may_be_read_as_an_option(bool mayBe, params string[] args) =>
        Assert.Equal(mayBe, new AgentOptions { Command = "x", Args = [.. args] }.PromptMayBeOption);

    [Fact]
    public void A_placeholder_without_a_value_fails_validation_naming_its_key()
    {
        var options = Shipped(("Supervisor:Agents:claude:Endpoint", ""), ("Supervisor:Agents:gemini:Home", "worker"));

        var errors = options.Validate();

        Assert.Contains(errors, e => e.StartsWith("Supervisor:Agents:claude:Endpoint: the profile uses {endpoint}", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Supervisor:Agents:gemini:Files: files are written into the attempt's own HOME", StringComparison.Ordinal));
    }

    [Fact]
    public void Models_are_refused_for_a_profile_without_a_model_placeholder_and_must_look_like_model_names()
    {
        var options = Shipped(("Supervisor:Agents:shell:Models:0", "gpt-5.5"), ("Supervisor:Agents:codex:Models:0", "gpt 5; rm -rf /"));

        var errors = options.Validate();

        Assert.Contains("Supervisor:Agents:shell:Models: the profile does not use {model}, so a task cannot choose one.", errors);
        Assert.Contains(errors, e => e.StartsWith("Supervisor:Agents:codex:Models: 'gpt 5; rm -rf /' is not a model name", StringComparison.Ordinal));
    }

    [Fact]
    public void A_job_naming_a_model_reaches_the_codex_process_in_place_of_the_default()
    {
        var codex = Shipped().Agents["codex"];

        Assert.Contains("gpt-5.5-mini", AgentEnvironment.Arguments(codex.WithModel("gpt-5.5-mini"), "x", _workspace));
        Assert.Contains("gpt-5.5", AgentEnvironment.Arguments(codex.WithModel(null), "x", _workspace));
        Assert.Equal("gpt-5.5", codex.Model);
    }

    [Fact]
    public void An_endpoint_and_key_from_configuration_reach_the_codex_process_through_placeholders()
    {
        var codex = Shipped(("Supervisor:Agents:codex:Endpoint", "http://127.0.0.1:9999/"), ("Supervisor:Agents:codex:Env:OPENAI_API_KEY", "sk-secret-value"))
            .Agents["codex"];

        var args = AgentEnvironment.Arguments(codex, "-rf the prompt", _workspace);
        var env = AgentEnvironment.For(codex, Job("codex"), 1, _workspace);

        Assert.Contains("""model_providers.supervisor={name="supervisor",base_url="http://127.0.0.1:9999/v1",env_key="OPENAI_API_KEY",wire_api="responses",request_max_retries=0,stream_max_retries=0}""", args);
        Assert.Equal(["--", "-rf the prompt"], args.TakeLast(2));
        Assert.Equal("gpt-5.5", args[args.ToList().IndexOf("-m") + 1]);
        Assert.Equal("sk-secret-value", env["OPENAI_API_KEY"]);
        Assert.Contains("sk-secret-value", AgentEnvironment.SecretValues(codex));
    }

    [Fact]
    public void An_attempt_home_holds_the_profiles_files_and_becomes_HOME_and_TMPDIR()
    {
        var gemini = Shipped(("Supervisor:Agents:gemini:Endpoint", "http://127.0.0.1:9999")).Agents["gemini"];

        AgentHome.Create(gemini, _workspace);
        var env = AgentEnvironment.For(gemini, Job("gemini"), 1, _workspace);

        Assert.Equal(_workspace + ".home", env["HOME"]);
        Assert.Equal(Path.Combine(_workspace + ".home", "tmp"), env["TMPDIR"]);
        Assert.True(Directory.Exists(env["TMPDIR"]));
        Assert.Equal("http://127.0.0.1:9999", env["GOOGLE_GEMINI_BASE_URL"]);
        Assert.Contains("\"selectedType\":\"gemini-api-key\"", File.ReadAllText(Path.Combine(env["HOME"], ".gemini", "settings.json")));

        AgentHome.Remove(gemini, _workspace);
        Assert.False(Directory.Exists(env["HOME"]));
    }

    [Fact]
    public void An_agent_on_the_worker_home_keeps_the_workers_HOME()
    {
        var shell = Shipped().Agents["shell"];

        var env = AgentEnvironment.For(shell, Job("shell"), 1, _workspace);

        Assert.Equal(Environment.GetEnvironmentVariable("HOME") ?? "/tmp", env["HOME"]);
        Assert.False(Directory.Exists(_workspace + ".home"));
    }
}
