using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Supervisor.ProviderStub;

/// <summary>The OpenAI Responses API (<c>POST /v1/responses</c>, server-sent events), as Codex CLI speaks it.</summary>
sealed partial class OpenAiResponses : IProviderApi
{
    int _sequence;

    public string Name => "openai";

    public Conversation Read(JsonNode body, HttpRequest request)
    {
        var tools = new HashSet<string>();
        foreach (var tool in body["tools"]?.AsArray() ?? [])
        {
            if (tool?["name"]?.GetValue<string>() is { } name)
                tools.Add(name);
            foreach (var inner in tool?["tools"]?.AsArray() ?? [])
            {
                if (inner?["name"]?.GetValue<string>() is { } innerName)
                    tools.Add(innerName);
            }
        }

        var input = body["input"] as JsonArray ?? [];
        var afterTool = input.Any(i => i?["type"]?.GetValue<string>() is "function_call_output" or "custom_tool_call_output");
        var directory = WorkingDirectory().Match(input.ToJsonString()) is { Success: true } m ? m.Groups["directory"].Value : null;
        return new Conversation(tools.Count > 0, afterTool, tools, directory, body["stream"]?.GetValue<bool>() != false);
    }

    public Answer.ToolCall? WriteFile(Conversation conversation, string file, string content, int inputTokens)
    {
        var command = Shell.WriteCommand(file, content);
        if (conversation.Tools.Contains("exec_command"))
            return new("exec_command", new JsonObject { ["cmd"] = command }, inputTokens);
        // Copilot CLI, with a provider of its own (BYOK), offers "bash".
        if (conversation.Tools.Contains("bash"))
            return new("bash", new JsonObject { ["command"] = command, ["description"] = $"Write {file}" }, inputTokens);
        if (conversation.Tools.Contains("shell"))
            return new("shell", new JsonObject { ["command"] = new JsonArray("bash", "-lc", command) }, inputTokens);
        return null;
    }

    public async Task AnswerAsync(HttpContext context, Conversation conversation, Answer answer)
    {
        var responseId = "resp_stub" + Guid.NewGuid().ToString("N")[..20];
        JsonObject item = answer switch
        {
            Answer.ToolCall call => new JsonObject
            {
                ["type"] = "function_call",
                ["id"] = "fc_stub" + Guid.NewGuid().ToString("N")[..20],
                ["call_id"] = "call_stub" + Guid.NewGuid().ToString("N")[..20],
                ["name"] = call.Name,
                ["arguments"] = call.Arguments.ToJsonString(),
                ["status"] = "completed",
            },
            Answer.Text text => new JsonObject
            {
                ["type"] = "message",
                ["id"] = "msg_stub" + Guid.NewGuid().ToString("N")[..20],
                ["role"] = "assistant",
                ["status"] = "completed",
                ["content"] = new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = text.Content, ["annotations"] = new JsonArray() }),
            },
            _ => throw new InvalidOperationException(),
        };

        var response = context.Response;
        Sse.Begin(response);
        await Event(response, "response.created", new JsonObject { ["response"] = Response(responseId, "in_progress", [], null) });
        await Event(response, "response.output_item.added", new JsonObject { ["output_index"] = 0, ["item"] = item.DeepClone() });
        if (answer is Answer.Text t)
        {
            await Event(response, "response.output_text.delta", new JsonObject
            {
                ["item_id"] = item["id"]!.GetValue<string>(),
                ["output_index"] = 0,
                ["content_index"] = 0,
                ["delta"] = t.Content,
            });
        }

        await Event(response, "response.output_item.done", new JsonObject { ["output_index"] = 0, ["item"] = item.DeepClone() });
        var usage = new JsonObject
        {
            ["input_tokens"] = answer.InputTokens,
            ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = 0 },
            ["output_tokens"] = answer.OutputTokens,
            ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 },
            ["total_tokens"] = answer.InputTokens + answer.OutputTokens,
        };
        await Event(response, "response.completed", new JsonObject { ["response"] = Response(responseId, "completed", [item.DeepClone()], usage) });
    }

    public async Task ErrorAsync(HttpContext context, Step step)
    {
        if (step.Kind == StepKind.UsageWindow)
        {
            await UsageLimitReachedAsync(context, step.ResetInSeconds);
            return;
        }

        var (status, type, code, message) = step.Kind switch
        {
            StepKind.RateLimited => (429, "requests", "rate_limit_exceeded",
                "Rate limit reached for requests per min (RPM): Limit 500, Used 500. Please try again in 1s."),
            StepKind.Quota => (429, "insufficient_quota", "insufficient_quota",
                "You exceeded your current quota, please check your plan and billing details."),
            StepKind.Overloaded => (503, "server_error", "server_is_overloaded", "The server is overloaded. Please try again later."),
            StepKind.Unauthorized => (401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided: sk-stub***. You can find your API key in your account settings."),
            _ => (500, "server_error", "server_error", "The server had an error while processing your request."),
        };
        if (step.RetryAfterSeconds > 0)
            context.Response.Headers.RetryAfter = step.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        await Sse.JsonAsync(context.Response, status, new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = null, ["code"] = code },
        });
    }

    /// <summary>
    /// A ChatGPT plan's spent usage window, as the Codex backend reports it: the reset in the body and in the
    /// <c>x-codex-primary-*</c> headers (the five-hour window; the secondary is the weekly one, not spent here).
    /// </summary>
    static async Task UsageLimitReachedAsync(HttpContext context, int resetInSeconds)
    {
        var resetAt = DateTimeOffset.UtcNow.AddSeconds(resetInSeconds).ToUnixTimeSeconds();
        var headers = context.Response.Headers;
        headers["x-codex-primary-used-percent"] = "100";
        headers["x-codex-primary-window-minutes"] = "300";
        headers["x-codex-primary-reset-at"] = resetAt.ToString(CultureInfo.InvariantCulture);
        headers["x-codex-primary-reset-after-seconds"] = resetInSeconds.ToString(CultureInfo.InvariantCulture);
        headers["x-codex-secondary-used-percent"] = "40";
        headers["x-codex-secondary-window-minutes"] = "10080";
        headers["x-codex-secondary-reset-at"] = DateTimeOffset.UtcNow.AddDays(3).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        await Sse.JsonAsync(context.Response, 429, new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["type"] = "usage_limit_reached",
                ["message"] = "The usage limit has been reached",
                ["plan_type"] = "plus",
                ["resets_at"] = resetAt,
                ["resets_in_seconds"] = resetInSeconds,
            },
        });
    }

    public async Task DropAsync(HttpContext context, Conversation conversation)
    {
        var response = context.Response;
        Sse.Begin(response);
        await Event(response, "response.created", new JsonObject { ["response"] = Response("resp_stubdrop", "in_progress", [], null) });
        await Event(response, "response.output_item.added", new JsonObject
        {
            ["output_index"] = 0,
            ["item"] = new JsonObject { ["type"] = "message", ["id"] = "msg_stubdrop", ["role"] = "assistant", ["status"] = "in_progress", ["content"] = new JsonArray() },
        });
        context.Abort();
    }

    Task Event(HttpResponse response, string type, JsonObject data)
    {
        data["type"] = type;
        data["sequence_number"] = Interlocked.Increment(ref _sequence);
        return Sse.EventAsync(response, type, data);
    }

    static JsonObject Response(string id, string status, JsonArray output, JsonObject? usage) => new()
    {
        ["id"] = id,
        ["object"] = "response",
        ["created_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["status"] = status,
        ["model"] = "stub-model",
        ["output"] = output,
        ["usage"] = usage,
    };

    [GeneratedRegex(@"<cwd>(?<directory>[^<]+)</cwd>", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex WorkingDirectory();
}
