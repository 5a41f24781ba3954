using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Controls;

[Collection(ControlsCollection.Name)]
public sealed class RepositoryRoots(ControlsFixture fixture)
{
    [Fact]
    public async Task A_repository_outside_the_allowed_roots_is_rejected_also_through_a_symbolic_link()
    {
        var outside = Path.Combine("/var/tmp", $"supervisor-outside-{Guid.NewGuid():N}");
        Directory.CreateDirectory(outside);
        var link = Path.Combine(fixture.State, "link-to-outside");
        File.CreateSymbolicLink(link, outside);
        try
        {
            foreach (var path in new[] { outside, link })
            {
                using var response = await fixture.Stack.Api.Http.PostAsJsonAsync("/api/tasks", new { prompt = "x", repository = new { path } });
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                Assert.Contains("not under an allowed repository root", problem["errors"]!["repository.path"]![0]!.GetValue<string>());
            }

            using var inside = await GitRepository.CreateAsync();
            var id = await fixture.Stack.Api.SubmitAsync(new { prompt = "true", repository = new { path = inside.Path } });
            Assert.Equal("Succeeded", (await fixture.Stack.Api.WaitForAsync(id, TimeSpan.FromSeconds(60)))["state"]!.GetValue<string>());
        }
        finally
        {
            Directory.Delete(outside);
        }
    }
}
