using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.RealAgents;

/// <summary>A task of its own per test: a fresh repository and a case id that the stub's script matches in the prompt.</summary>
sealed class RealAgentTask(ApiClient api, GitRepository repository) : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public string Case { get; } = "case-" + Guid.NewGuid().ToString("N")[..12];

    public GitRepository Repository => repository;

    public string Prompt(string file) => $"Create the file {file} with a greeting. ({Case})";

    public static async Task<RealAgentTask> CreateAsync(ApiClient api) => new(api, await GitRepository.CreateAsync());

    /// <summary>Submits the task with <paramref name="agents"/> as its chain and waits for its end.</summary>
    public async Task<(Guid Id, JsonNode Task)> RunAsync(string file, string[] agents, int? timeoutSeconds = null, bool expectChanges = true)
    {
        var id = await SubmitAsync(file, agents, timeoutSeconds, expectChanges);
        return (id, await api.WaitForAsync(id, Timeout));
    }

    /// <summary>Submits the task with <paramref name="agents"/> as its chain.</summary>
    public Task<Guid> SubmitAsync(string file, string[] agents, int? timeoutSeconds = null, bool expectChanges = true) =>
        api.SubmitAsync(new
        {
            prompt = Prompt(file),
            agents,
            repository = new { path = repository.Path },
            expectChanges,
            timeoutSeconds,
        });

    public void Dispose() => repository.Dispose();

    public static string State(JsonNode task) => task["state"]!.GetValue<string>();

    public static List<JsonNode> Attempts(JsonNode task) => task["attempts"]!.AsArray().Select(a => a!).ToList();

    public static List<(string Agent, string? ErrorClass)> Outcomes(JsonNode task) =>
        Attempts(task).Select(a => (a["agent"]!.GetValue<string>(), a["errorClass"]?.GetValue<string>())).ToList();

    public static DateTime Time(JsonNode node, string field) => node[field]!.GetValue<DateTime>().ToUniversalTime();
}
