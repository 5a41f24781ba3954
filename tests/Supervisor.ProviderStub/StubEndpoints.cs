using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Supervisor.ProviderStub;

/// <summary>
/// A request the stub served, for tests and people to see what a CLI sent and what it got. <paramref name="Key"/> is the last
/// four characters of the request's API key (which account asked), never the whole key.
/// </summary>
public sealed record ServedRequest(DateTime At, string Api, string Method, string Path, bool AgentTurn, string? Script, string Step, string? Key = null);

/// <summary>
/// Routes provider requests by the end of their path (so any base path works) to the API that speaks them, answers
/// according to the script their body matches, and serves the control API under <c>/_stub</c>.
/// </summary>
public static class StubEndpoints
{
    const int MaxLogged = 2000;

    public static void MapStub(this WebApplication app)
    {
        var scripts = new ScriptBook();
        var limits = new AccountLimits(TimeProvider.System);
        var served = new ConcurrentQueue<ServedRequest>();
        IProviderApi anthropic = new AnthropicMessages(), openai = new OpenAiResponses(), gemini = new GeminiGenerateContent();
        var log = app.Logger;

        app.MapPost("/_stub/scripts", (ScriptRequest request) =>
        {
            try
            {
                var script = scripts.Add(request);
                return Results.Ok(new { script.Match, script.Api, script.File });
            }
            catch (FormatException e)
            {
                return Results.BadRequest(new { error = e.Message });
            }
        });
        app.MapDelete("/_stub/scripts", () =>
        {
            scripts.Clear();
            served.Clear();
            return Results.NoContent();
        });
        app.MapGet("/_stub/requests", () => served.ToArray());
        app.MapPost("/_stub/limits", (LimitRequest request) =>
        {
            try
            {
                limits.Add(request);
                return Results.Ok(request);
            }
            catch (FormatException e)
            {
                return Results.BadRequest(new { error = e.Message });
            }
        });
        app.MapDelete("/_stub/limits", () =>
        {
            limits.Clear();
            return Results.NoContent();
        });

        app.MapMethods("/", ["GET", "HEAD"], () => Results.Text("provider stub\n"));
        // Not MapFallback(handler): its default pattern skips paths that look like files, as "gemini-2.5-flash:generateContent" does.
        app.MapFallback("{**path}", async context =>
        {
            var path = context.Request.Path.Value ?? "";
            IProviderApi? api = path switch
            {
                _ when path.EndsWith("/messages", StringComparison.Ordinal) => anthropic,
                _ when path.EndsWith("/responses", StringComparison.Ordinal) => openai,
                _ when path.EndsWith(":generateContent", StringComparison.Ordinal) || path.EndsWith(":streamGenerateContent", StringComparison.Ordinal) => gemini,
                _ => null,
            };
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync(context.RequestAborted);
            if (api is null || !HttpMethods.IsPost(context.Request.Method))
            {
                await OtherAsync(context, path, body);
                Record(new ServedRequest(DateTime.UtcNow, "-", context.Request.Method, path, false, null, context.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                return;
            }

            var json = JsonNode.Parse(body) ?? new JsonObject();
            var conversation = api.Read(json, context.Request);
            var key = ApiKey(context.Request);
            var script = conversation.AgentTurn ? scripts.Find(api.Name, body) : null;
            // An account's limit answers before the script and leaves its steps for after the reset, as a real window does.
            var step = (conversation.AgentTurn ? limits.Find(api.Name, key) : null) ?? script?.Next() ?? Step.Ok;
            Record(new ServedRequest(DateTime.UtcNow, api.Name, context.Request.Method, path, conversation.AgentTurn, script?.Match, step.ToString(),
                key is { Length: > 0 } ? key[^Math.Min(4, key.Length)..] : null));
            switch (step.Kind)
            {
                case StepKind.Ok:
                    await api.AnswerAsync(context, conversation, Answer(api, conversation, script, json, body.Length / 4));
                    break;
                case StepKind.Slow:
                    try
                    {
                        await Task.Delay(step.DelayMs, context.RequestAborted);
                    }
                    catch (OperationCanceledException)
                    {
                        break; // The client gave up waiting: nothing to answer.
                    }

                    await api.AnswerAsync(context, conversation, Answer(api, conversation, script, json, body.Length / 4));
                    break;
                case StepKind.Hang:
                    try
                    {
                        await Task.Delay(Timeout.Infinite, context.RequestAborted);
                    }
                    catch (OperationCanceledException)
                    {
                        // The client gave up or was killed: what a hang is for.
                    }

                    break;
                case StepKind.Drop:
                    await api.DropAsync(context, conversation);
                    break;
                default:
                    await api.ErrorAsync(context, step);
                    break;
            }
        });

        void Record(ServedRequest request)
        {
            served.Enqueue(request);
            while (served.Count > MaxLogged)
                served.TryDequeue(out _);
            if (log.IsEnabled(LogLevel.Information))
            {
                log.LogInformation("{Api} {Method} {Path} agentTurn={AgentTurn} script={Script} → {Step}", request.Api, request.Method, request.Path,
                    request.AgentTurn, request.Script ?? "-", request.Step);
            }
        }
    }

    /// <summary>
    /// The task's move: write the script's file through the CLI's own tool, then, once the tool has run, say it is done.
    /// A side request (no tools: a title, a routing question) gets a short JSON-shaped text.
    /// </summary>
    static Answer Answer(IProviderApi api, Conversation conversation, Script? script, JsonNode body, int inputTokens)
    {
        if (!conversation.AgentTurn)
            return new Answer.Text("""{"title":"Provider stub task","next_speaker":"user","reasoning":"The task is complete."}""", inputTokens);
        if (script?.File is not { } file)
            return new Answer.Text("Hello from the provider stub. Nothing was asked of me that needs a file.", inputTokens);
        if (conversation.AfterToolResult)
            return new Answer.Text($"I created {file} as asked; the task is complete.", inputTokens);
        return (Answer?)api.WriteFile(conversation, file, script.Content, inputTokens)
            ?? new Answer.Text($"I cannot create {file}: none of the tools I was given can write files.", inputTokens);
    }

    /// <summary>The API key a request carries, in whichever header or parameter its API puts it.</summary>
    static string? ApiKey(HttpRequest request)
    {
        foreach (var header in new[] { "x-api-key", "x-goog-api-key" })
        {
            if (request.Headers[header].ToString() is { Length: > 0 } value)
                return value;
        }

        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return authorization["Bearer ".Length..].Trim();
        return request.Query["key"].ToString() is { Length: > 0 } key ? key : null;
    }

    static async Task OtherAsync(HttpContext context, string path, string body)
    {
        if (path.EndsWith("/count_tokens", StringComparison.Ordinal))
            await Sse.JsonAsync(context.Response, 200, new JsonObject { ["input_tokens"] = body.Length / 4 });
        else if (path.EndsWith(":countTokens", StringComparison.Ordinal))
            await Sse.JsonAsync(context.Response, 200, new JsonObject { ["totalTokens"] = body.Length / 4 });
        else
            await Sse.JsonAsync(context.Response, 404, new JsonObject { ["error"] = new JsonObject { ["message"] = $"the provider stub does not serve {path}" } });
    }
}
