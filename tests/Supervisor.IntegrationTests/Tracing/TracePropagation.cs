using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Tracing;

public sealed class TracePropagation
{
    [Fact]
    public async Task A_traceparent_on_submit_reaches_the_worker_through_the_saga()
    {
        await using var stack = await SupervisorStack.StartAsync("trace", new Dictionary<string, string>
        {
            ["Supervisor__Tracing__Enabled"] = "true",
        }, services: 1, ("shell", 1));
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/tasks") { Content = JsonContent.Create(new { prompt = "true" }) };
        request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(BitConverter.GetBytes(42L))}-01");

        using var response = await stack.Api.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var id = Guid.Parse((await response.Content.ReadFromJsonAsync<JsonNode>())!["id"]!.GetValue<string>());
        var task = await stack.Api.WaitForAsync(id, TimeSpan.FromSeconds(60));

        Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
        // The worker logs the trace of the job it starts: the one the HTTP request began, carried by SubmitTask and RunAgentJob.
        Assert.Contains($"Task {id} attempt 1: starting shell (trace {traceId})", stack.Workers[0].RecentOutput, StringComparison.Ordinal);
    }
}
