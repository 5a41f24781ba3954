using System.Text;
using RabbitMQ.Client;
using Supervisor.Service.DeadLetters;

namespace Supervisor.Tests.DeadLetters;

public sealed class DeadLetterViewSpecs
{
    static readonly Guid TaskId = Guid.Parse("3f2c9a1e-0000-4000-8000-000000000001");

    [Fact]
    public void A_faulted_message_is_described_by_its_envelope_and_MassTransit_fault_headers()
    {
        var properties = new BasicProperties
        {
            MessageId = "m-1",
            Headers = new Dictionary<string, object?>
            {
                ["MT-Reason"] = Encoding.UTF8.GetBytes("fault"),
                ["MT-Fault-ExceptionType"] = Encoding.UTF8.GetBytes("Npgsql.NpgsqlException"),
                ["MT-Fault-Message"] = Encoding.UTF8.GetBytes("Failed to connect"),
                ["MT-Fault-Timestamp"] = Encoding.UTF8.GetBytes("2026-12-05T02:10:11.0000000Z"),
            },
        };
        var body = $$$"""{"messageType":["urn:message:Supervisor.Contracts:SubmitTask"],"message":{"taskId":"{{{TaskId}}}","prompt":"x"}}""";

        var view = DeadLetterView.Read(properties, Encoding.UTF8.GetBytes(body));

        Assert.Equal(new DeadLetterView("m-1", "Supervisor.Contracts:SubmitTask", TaskId, "fault", "Npgsql.NpgsqlException: Failed to connect",
            new DateTimeOffset(2026, 12, 5, 2, 10, 11, TimeSpan.Zero), null), view);
    }

    [Fact]
    public void The_task_of_a_fault_is_that_of_the_message_it_wraps()
    {
        var body = """{"messageId":"m-2","messageType":["urn:message:MassTransit:Fault[[Supervisor.Contracts:RunAgentJob]]"],"message":{"message":{"taskId":"TASK"}}}"""
            .Replace("TASK", TaskId.ToString(), StringComparison.Ordinal);

        var view = DeadLetterView.Read(new BasicProperties(), Encoding.UTF8.GetBytes(body));

        Assert.Equal(("m-2", TaskId), (view.MessageId, view.TaskId));
    }

    [Fact]
    public void A_body_that_is_not_JSON_is_still_listed_with_what_its_headers_say()
    {
        var properties = new BasicProperties { MessageId = "m-3", Headers = new Dictionary<string, object?> { ["MT-Fault-Message"] = Encoding.UTF8.GetBytes("bad envelope") } };

        var view = DeadLetterView.Read(properties, "{ not json"u8);

        Assert.Equal(("m-3", (Guid?)null, "bad envelope"), (view.MessageId, view.TaskId, view.Exception));
    }

    [Theory]
    [InlineData("task-state_error", "task-state")]
    [InlineData("agent-shell_skipped", "agent-shell")]
    public void A_dead_letter_goes_back_to_the_queue_its_queue_is_named_after(string queue, string source) =>
        Assert.Equal(source, DeadLetterQueues.SourceOf(queue));
}
