using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using MassTransit;
using RabbitMQ.Client;
using Supervisor.Contracts;
using Supervisor.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Supervisor.IntegrationTests.FaultInjection;

/// <summary>
/// Dead letters made on purpose on a stack of its own: a malformed message the saga's endpoint cannot read (MassTransit
/// moves it to <c>task-state_error</c> itself), and a SubmitTask in that queue as a database outage longer than the
/// ride-out would have left it. Both are counted, listed by the API and the CLI; the SubmitTask is redriven and becomes a
/// task; purge empties the queue. <c>/metrics</c> counts them from a broker sample taken every 2 s here.
/// </summary>
public sealed class DeadLetters(ITestOutputHelper output) : IAsyncLifetime
{
    const string ErrorQueue = "task-state_error";
    const double SampleInterval = 2;
    SupervisorStack _stack = null!;

    public async Task InitializeAsync() =>
        _stack = await SupervisorStack.StartAsync("deadletters", new Dictionary<string, string>
        {
            ["Supervisor__Metrics__BrokerSampleInterval"] = TimeSpan.FromSeconds(SampleInterval).ToString(),
        }, services: 1, ("shell", 1));

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task Dead_letters_are_counted_listed_redriven_into_tasks_and_purged()
    {
        var malformedId = Guid.NewGuid().ToString();
        await PublishMalformedAsync(malformedId);
        var taskId = NewId.NextGuid();
        var submitId = await SendSubmitToTheErrorQueueAsync(taskId);

        var queue = await WaitForCountAsync(2);
        var messages = queue["messages"]!.AsArray();
        var malformed = messages.Single(m => m!["messageId"]?.GetValue<string>() == malformedId)!;
        Assert.False(string.IsNullOrEmpty(malformed["exception"]?.GetValue<string>()), "the fault's exception text is listed");
        Assert.NotNull(malformed["faultedAt"]);
        var submit = messages.Single(m => m!["messageId"]?.GetValue<string>() == submitId)!;
        Assert.Equal(taskId, submit["taskId"]!.GetValue<Guid>());
        Assert.Contains("SubmitTask", submit["type"]!.GetValue<string>(), StringComparison.Ordinal);

        await WaitForMetricAsync(2);

        var (listed, _) = await CliAsync("dead-letters", "list", "--queue", ErrorQueue, "--json");
        var cliMessages = JsonNode.Parse(listed)!.AsArray().Single()!["messages"]!.AsArray();
        Assert.Contains(cliMessages, m => m!["messageId"]?.GetValue<string>() == malformedId);

        var (redriven, _) = await CliAsync("dead-letters", "redrive", "--queue", ErrorQueue, "--id", submitId, "--json");
        Assert.Equal(1, JsonNode.Parse(redriven)!["redriven"]!.GetValue<long>());
        var task = await _stack.Api.WaitForAsync(taskId, TimeSpan.FromSeconds(90));
        Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
        Assert.Equal(1, (await WaitForCountAsync(1))["count"]!.GetValue<long>());

        var (purged, _) = await CliAsync("dead-letters", "purge", "--queue", ErrorQueue, "--all");
        Assert.Contains("1 message(s) deleted", purged, StringComparison.Ordinal);
        Assert.Equal(0, (await WaitForCountAsync(0))["count"]!.GetValue<long>());
        // At once, not a sample later: the purge made the service forget its sample.
        Assert.Contains($"supervisor_dead_letters{{queue=\"{ErrorQueue}\"}} 0", await _stack.Api.Http.GetStringAsync("/metrics"), StringComparison.Ordinal);

        // Who did it, on the service's log: the token's name.
        var log = await File.ReadAllTextAsync(_stack.Services[0].LogFile);
        Assert.Contains($"Redrove 1 dead letter(s) of {ErrorQueue} (message {submitId}) by {TestTokens.Admin}", log, StringComparison.Ordinal);
        Assert.Contains($"Purged 1 dead letter(s) of {ErrorQueue} (message all) by {TestTokens.Admin}", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_answer_from_a_broker_sample_at_most_two_intervals_old_that_follows_the_broker()
    {
        var before = DeadLetterCount(await _stack.Api.Http.GetStringAsync("/metrics")) ?? 0;
        await PublishMalformedAsync(Guid.NewGuid().ToString());
        await WaitForCountAsync(before + 1);

        // Scrapes that come while the sample is young answer from it: over more than an interval, some show an age of
        // half a second or more (a scrape that reads the broker, or shares a reading under way, shows the milliseconds
        // a reading takes), and none an age above two intervals.
        var ages = new List<double>();
        for (var i = 0; i < 30 && ages.All(a => a < 0.5); i++)
        {
            ages.Add(SampleAge(await _stack.Api.Http.GetStringAsync("/metrics")));
            await Task.Delay(100);
        }

        Assert.Contains(ages, a => a >= 0.5);
        Assert.All(ages, a => Assert.InRange(a, 0, 2 * SampleInterval));
        // The new dead letter shows within a sample or two, with no purge or redrive to make the service read again.
        await WaitForMetricAsync(before + 1);

        await CliAsync("dead-letters", "purge", "--queue", ErrorQueue, "--all");
    }

    [Fact]
    public async Task A_redrive_or_purge_that_names_no_known_queue_or_no_message_is_refused_naming_the_field()
    {
        foreach (var (body, field) in new (object, string)[]
                 {
                     (new { queue = "orders_error", all = true }, "queue"),
                     (new { queue = ErrorQueue }, "id"),
                     (new { queue = ErrorQueue, id = "x", all = true }, "all"),
                 })
        {
            using var response = await _stack.Api.Http.PostAsJsonAsync("api/dead-letters/purge", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]![field]);
        }

        using var list = await _stack.Api.Http.GetAsync("api/dead-letters?limit=-1");
        Assert.Equal(HttpStatusCode.BadRequest, list.StatusCode);
    }

    /// <summary>Not JSON, yet labelled as MassTransit's: the endpoint cannot read it and moves it to its error queue.</summary>
    async Task PublishMalformedAsync(string messageId)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(_stack.Resources.RabbitMq) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var properties = new BasicProperties { MessageId = messageId, ContentType = "application/vnd.masstransit+json", Persistent = true };
        await channel.BasicPublishAsync("", "task-state", mandatory: true, properties, Encoding.UTF8.GetBytes("{ not json"));
    }

    /// <summary>A SubmitTask, serialized by MassTransit as any publisher would, sent straight to the error queue.</summary>
    async Task<string> SendSubmitToTheErrorQueueAsync(Guid taskId)
    {
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(new Uri(_stack.Resources.RabbitMq)));
        await bus.StartAsync();
        try
        {
            var messageId = NewId.NextGuid();
            var endpoint = await bus.GetSendEndpoint(new Uri($"queue:{ErrorQueue}"));
            await endpoint.Send(new SubmitTask(taskId, "echo redriven", ["shell"], null, null, null, null, false, null, "dead-letter-test"), context =>
            {
                context.MessageId = messageId;
                context.Headers.Set("MT-Reason", "fault");
                context.Headers.Set("MT-Fault-ExceptionType", "Npgsql.NpgsqlException");
                context.Headers.Set("MT-Fault-Message", "Failed to connect (made on purpose)");
                context.Headers.Set("MT-Fault-Timestamp", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            });
            return messageId.ToString();
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    async Task<JsonNode> WaitForCountAsync(long count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var queues = JsonNode.Parse(await _stack.Api.Http.GetStringAsync($"api/dead-letters?queue={ErrorQueue}&limit=100"))!.AsArray();
            var queue = queues.SingleOrDefault();
            if (queue is not null && queue["count"]!.GetValue<long>() == count)
                return queue;
            Assert.True(DateTime.UtcNow < deadline, $"{ErrorQueue} did not come to {count} message(s) within 60 s: {queues.ToJsonString()}");
            await Task.Delay(250);
        }
    }

    /// <summary>Scrapes until <c>/metrics</c> counts <paramref name="count"/> in the error queue, checking each scrape's sample age.</summary>
    async Task WaitForMetricAsync(long count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var text = await _stack.Api.Http.GetStringAsync("/metrics");
            Assert.InRange(SampleAge(text), 0, 2 * SampleInterval);
            if (DeadLetterCount(text) == count)
                return;
            Assert.True(DateTime.UtcNow < deadline, $"/metrics did not count {count} in {ErrorQueue} within 60 s:\n{text}");
            await Task.Delay(250);
        }
    }

    static long? DeadLetterCount(string metrics) =>
        Sample(metrics, $"supervisor_dead_letters{{queue=\"{ErrorQueue}\"}}") is { } value ? (long)value : null;

    static double SampleAge(string metrics) =>
        Sample(metrics, "supervisor_broker_sample_age_seconds") ?? throw new Xunit.Sdk.XunitException($"no sample age in /metrics:\n{metrics}");

    static double? Sample(string metrics, string series) =>
        metrics.Split('\n').Where(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            .Select(l => (double?)double.Parse(l[(series.Length + 1)..], CultureInfo.InvariantCulture)).FirstOrDefault();

    async Task<(string Output, string Error)> CliAsync(params string[] arguments)
    {
        var cli = TestEnvironment.ProjectOutput("Supervisor.Cli", "supervisor.dll");
        var (exitCode, stdout, stderr) = await Containers.Commands.TryRunAsync("dotnet", [cli, .. arguments, "--api", _stack.Api.Http.BaseAddress!.ToString()],
            new Dictionary<string, string> { ["SUPERVISOR_TOKEN"] = TestTokens.Of(TestTokens.Admin) }, TimeSpan.FromSeconds(60));
        output.WriteLine($"supervisor {string.Join(' ', arguments)} → {exitCode}\n{stdout}{stderr}");
        Assert.True(exitCode == 0, $"supervisor {string.Join(' ', arguments)} exited with {exitCode}: {stderr}");
        return (stdout, stderr);
    }
}
