using MassTransit;
using Supervisor.Contracts;

namespace Supervisor.IntegrationTests.CoreLoop;

[Collection(CoreLoopCollection.Name)]
public sealed class PublishingSubmitTask(CoreLoopFixture fixture)
{
    [Fact]
    public async Task Any_MassTransit_application_can_submit_a_task_by_publishing_SubmitTask()
    {
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(new Uri(fixture.Stack.Resources.RabbitMq)));
        await bus.StartAsync();
        var id = NewId.NextGuid();
        try
        {
            var submit = new SubmitTask(id, "echo published", null, null, null, null, null, false, null, "another-app");
            await bus.Publish(submit);
            await bus.Publish(submit);
        }
        finally
        {
            await bus.StopAsync();
        }

        var task = await fixture.Stack.Api.WaitForAsync(id, TimeSpan.FromSeconds(60));

        Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
        Assert.Equal("another-app", task["submittedBy"]!.GetValue<string>());
        Assert.Single(task["attempts"]!.AsArray());
    }
}
