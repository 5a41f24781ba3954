using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Controls;

[Collection(ControlsCollection.Name)]
public sealed class RepositoryRoots(ControlsFixture fixture)
{
    [Fact]
    public async Task A_repository_outside_the_allowed_roots_is_rejected_through_links_of_any_depth_and_whether_it_exists_or_not()
    {
        var outside = Path.Combine("/var/tmp", $"supervisor-outside-{Guid.NewGuid():N}");
        Directory.CreateDirectory(outside);
        var link = Path.Combine(fixture.State, "link-to-outside");
        File.CreateSymbolicLink(link, outside);
        // Two hops: a link inside the roots to a link inside the roots that leads out.
        var hop = Path.Combine(fixture.State, $"hop-{Guid.NewGuid():N}");
        File.CreateSymbolicLink(hop, link);
        // What lies outside the roots is not told: a path there that does not exist is refused the same way.
        var missing = Path.Combine("/var/tmp", $"supervisor-missing-{Guid.NewGuid():N}");
        try
        {
            foreach (var path in new[] { outside, link, hop, missing, Path.Combine(hop, "repo") })
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
            File.Delete(hop);
            Directory.Delete(outside);
        }
    }
}
