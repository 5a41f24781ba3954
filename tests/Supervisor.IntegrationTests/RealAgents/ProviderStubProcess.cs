using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.RealAgents;

/// <summary>The provider stub (tests/Supervisor.ProviderStub) as a process on a free port, scripted through its control API.</summary>
sealed partial class ProviderStubProcess : IAsyncDisposable
{
    readonly HostProcess _process;
    readonly HttpClient _http;

    ProviderStubProcess(HostProcess process, Uri endpoint)
    {
        _process = process;
        Endpoint = endpoint;
        _http = new HttpClient { BaseAddress = endpoint, Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>scheme://host:port, as <c>Supervisor:Agents:&lt;name&gt;:Endpoint</c> takes it.</summary>
    public Uri Endpoint { get; }

    public static async Task<ProviderStubProcess> StartAsync()
    {
        var dll = Path.Combine(TestEnvironment.RepositoryRoot, "tests", "Supervisor.ProviderStub", "bin", TestEnvironment.Configuration, "net10.0",
            "Supervisor.ProviderStub.dll");
        var process = HostProcess.Start("provider-stub", dll, new Dictionary<string, string>(), "--port", "0");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (Listening().Match(process.RecentOutput) is { Success: true } m)
                return new ProviderStubProcess(process, new Uri(m.Groups["url"].Value));
            if (process.HasExited)
                break;
            await Task.Delay(100);
        }

        await process.DisposeAsync();
        throw new InvalidOperationException("the provider stub did not start:\n" + process.RecentOutput);
    }

    /// <summary>
    /// Model requests whose prompt contains <paramref name="match"/> (of <paramref name="api"/> only, when given: anthropic,
    /// openai, gemini) get <paramref name="steps"/> in turn, then <paramref name="then"/>; an ok answer writes
    /// <paramref name="file"/> through the CLI's write tool.
    /// </summary>
    public async Task ScriptAsync(string match, string[] steps, string? file = null, string? content = null, string? api = null, string? then = null)
    {
        using var response = await _http.PostAsJsonAsync("/_stub/scripts", new { match, api, steps, then, file, content });
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Model requests served for <paramref name="match"/>'s script so far (agent turns only).</summary>
    public async Task<List<JsonNode>> RequestsAsync(string match) =>
        JsonNode.Parse(await _http.GetStringAsync("/_stub/requests"))!.AsArray()
            .Where(r => r!["script"]?.GetValue<string>() == match).Select(r => r!).ToList();

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _process.DisposeAsync();
    }

    [GeneratedRegex(@"Provider stub listening on (?<url>http://\S+)", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Listening();
}
