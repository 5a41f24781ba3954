using System.Net;
using System.Net.Http.Headers;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Controls;

[Collection(ControlsCollection.Name)]
public sealed class ApiSafety(ControlsFixture fixture)
{
    [Fact]
    public async Task Listening_beyond_loopback_without_a_token_refuses_to_start_naming_the_setting()
    {
        var service = fixture.Stack.LaunchService($"http://0.0.0.0:{SupervisorStack.FreePort()}", TestTokens.None());

        for (var waited = 0; !service.HasExited && waited < 300; waited++)
            await Task.Delay(100);

        Assert.True(service.HasExited, "the service started although it listens beyond loopback without a token");
        Assert.Contains("Supervisor:Api:Tokens: no API token is configured", service.RecentOutput);
        Assert.Contains("Supervisor:Api:Token", service.RecentOutput);
    }

    [Fact]
    public async Task Beyond_loopback_every_api_request_needs_the_bearer_token_but_its_description_does_not()
    {
        var port = SupervisorStack.FreePort();
        var service = fixture.Stack.LaunchService($"http://0.0.0.0:{port}", new Dictionary<string, string> { ["Supervisor__Api__Token"] = "t0ken-for-tests" });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await SupervisorStack.WaitUntilAsync(service, async () =>
        {
            try
            {
                return (await http.GetAsync("/health/ready")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        });

        var anonymous = await http.GetAsync("/api/tasks");
        var document = await http.GetAsync("/openapi/v1.json");
        var reference = await http.GetAsync("/scalar/");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        var wrong = await http.GetAsync("/api/tasks");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "t0ken-for-tests");
        var right = await http.GetAsync("/api/tasks");
        await service.StopAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        // The API's description holds no data: readable without the token, like /health (/metrics needs one).
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
    }
}
