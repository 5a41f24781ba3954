using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.CoreLoop;

[Collection(CoreLoopCollection.Name)]
public sealed class ManyTasks(CoreLoopFixture fixture)
{
    readonly ApiClient _api = fixture.Stack.Api;

    [Fact]
    public async Task A_hundred_tasks_over_two_workers_and_two_service_instances_all_succeed_each_exactly_once()
    {
        // Appended to by attempts of many agent users: created writable by all.
        var ledger = Path.Combine(Path.GetTempPath(), $"supervisor-ledger-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(ledger, "");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(ledger, (UnixFileMode)0b110_110_110);
        var ids = new List<Guid>();
        foreach (var i in Enumerable.Range(0, 100))
            ids.Add(await _api.SubmitAsync(new { prompt = $"echo $SUPERVISOR_TASK_ID >> {ledger}" }));

        var tasks = new List<JsonNode>();
        foreach (var id in ids)
            tasks.Add(await _api.WaitForAsync(id, TimeSpan.FromSeconds(120)));

        Assert.All(tasks, t => Assert.Equal("Succeeded", t["state"]!.GetValue<string>()));
        Assert.All(tasks, t => Assert.Single(t["attempts"]!.AsArray()));
        Assert.All(tasks, t => Assert.Equal(
            ["Initial→Submitted", "Submitted→Dispatched", "Dispatched→Running", "Running→Succeeded"],
            t["transitions"]!.AsArray().Select(x => $"{x!["from"]}→{x["to"]}")));
        var ran = (await File.ReadAllLinesAsync(ledger)).Select(Guid.Parse).ToList();
        Assert.Equal(ids.Order(), ran.Order());
        var workers = tasks.Select(t => t["attempts"]![0]!["worker"]!.GetValue<string>()).Distinct().ToList();
        Assert.Equal(2, workers.Count);
        File.Delete(ledger);
    }
}
