using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Supervisor.ProviderStub;

/// <summary>The Anthropic Messages API (<c>POST /v1/messages</c>, streamed or not), as Claude Code speaks it.</summary>
sealed partial class AnthropicMessages : IProviderApi
{
    public string Name => "anthropic";

    public Conversation Read(JsonNode body, HttpRequest request)
    {
        var tools = (body["tools"]?.AsArray() ?? []).Select(t => t?["name"]?.GetValue<string>()).OfType<string>().ToHashSet();
        var afterTool = (body["messages"]?.AsArray() ?? []).Any(m => m?["content"] is JsonArray content
            && content.Any(c => c?["type"]?.GetValue<string>() == "tool_result"));
        var system = body["system"] is JsonArray parts
            ? string.Join("\n", parts.Select(p => p?["text"]?.GetValue<string>()))
            : body["system"]?.GetValue<string>() ?? "";
        var directory = WorkingDirectory().Match(system) is { Success: true } m ? m.Groups["directory"].Value.Trim() : null;
        return new Conversation(tools.Count > 0, afterTool, tools, directory, body["stream"]?.GetValue<bool>() == true);
    }

    public Answer.ToolCall? WriteFile(Conversation conversation, string file, string content, int inputTokens)
    {
        if (conversation.Tools.Contains("Write"))
        {
            var path = conversation.WorkingDirectory is { } dir ? Path.Combine(dir, file) : file;
            return new("Write", new JsonObject { ["file_path"] = path, ["content"] = content }, inputTokens);
        }

        return conversation.Tools.Contains("Bash")
            ? new("Bash", new JsonObject { ["command"] = Shell.WriteCommand(file, content), ["description"] = $"Write {file}" }, inputTokens)
            : null;
    }

    public async Task AnswerAsync(HttpContext context, Conversation conversation, Answer answer)
    {
        var id = "msg_stub" + Guid.NewGuid().ToString("N")[..20];
        var model = "stub-model";
        var (block, stopReason) = answer switch
        {
            Answer.ToolCall call => (new JsonObject
            {
                ["type"] = "tool_use",
                ["id"] = "toolu_stub" + Guid.NewGuid().ToString("N")[..20],
                ["name"] = call.Name,
                ["input"] = call.Arguments.DeepClone(),
            }, "tool_use"),
            Answer.Text text => (new JsonObject { ["type"] = "text", ["text"] = text.Content }, "end_turn"),
            _ => throw new InvalidOperationException(),
        };
        var usage = new JsonObject { ["input_tokens"] = answer.InputTokens, ["output_tokens"] = answer.OutputTokens };

        if (!conversation.Stream)
        {
            await Sse.JsonAsync(context.Response, 200, new JsonObject
            {
                ["id"] = id,
                ["type"] = "message",
                ["role"] = "assistant",
                ["model"] = model,
                ["content"] = new JsonArray(block),
                ["stop_reason"] = stopReason,
                ["stop_sequence"] = null,
                ["usage"] = usage,
            });
            return;
        }

        var response = context.Response;
        Sse.Begin(response);
        await Sse.EventAsync(response, "message_start", MessageStart(id, model, answer.InputTokens));
        var start = block.DeepClone().AsObject();
        JsonObject delta;
        if (answer is Answer.ToolCall toolCall)
        {
            start["input"] = new JsonObject();
            delta = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = toolCall.Arguments.ToJsonString() };
        }
        else
        {
            start["text"] = "";
            delta = new JsonObject { ["type"] = "text_delta", ["text"] = ((Answer.Text)answer).Content };
        }

        await Sse.EventAsync(response, "content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = 0, ["content_block"] = start });
        await Sse.EventAsync(response, "content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = 0, ["delta"] = delta });
        await Sse.EventAsync(response, "content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = 0 });
        await Sse.EventAsync(response, "message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = stopReason, ["stop_sequence"] = null },
            ["usage"] = new JsonObject { ["output_tokens"] = answer.OutputTokens },
        });
        await Sse.EventAsync(response, "message_stop", new JsonObject { ["type"] = "message_stop" });
    }

    public async Task ErrorAsync(HttpContext context, Step step)
    {
        if (step.Kind == StepKind.UsageWindow)
        {
            // A subscription's spent five-hour window, as the API reports it: the unified headers carry the reset.
            var reset = DateTimeOffset.UtcNow.AddSeconds(step.ResetInSeconds).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            var headers = context.Response.Headers;
            headers.RetryAfter = step.ResetInSeconds.ToString(CultureInfo.InvariantCulture);
            headers["anthropic-ratelimit-unified-status"] = "rejected";
            headers["anthropic-ratelimit-unified-reset"] = reset;
            headers["anthropic-ratelimit-unified-representative-claim"] = "five_hour";
            headers["anthropic-ratelimit-unified-5h-status"] = "rejected";
            headers["anthropic-ratelimit-unified-5h-reset"] = reset;
            headers["anthropic-ratelimit-unified-5h-utilization"] = "1.0";
            headers["anthropic-ratelimit-unified-fallback"] = "unavailable";
        }

        var (status, type, message) = step.Kind switch
        {
            StepKind.UsageWindow => (429, "rate_limit_error", "This request would exceed your account's rate limit. Please try again later."),
            StepKind.RateLimited => (429, "rate_limit_error",
                "This request would exceed your organization's rate limit of 50 requests per minute. Please try again later."),
            StepKind.Quota => (400, "invalid_request_error",
                "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."),
            StepKind.Overloaded => (529, "overloaded_error", "Overloaded"),
            StepKind.Unauthorized => (401, "authentication_error", "invalid x-api-key"),
            _ => (500, "api_error", "Internal server error"),
        };
        if (step.RetryAfterSeconds > 0)
            context.Response.Headers.RetryAfter = step.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["request-id"] = "req_stub" + Guid.NewGuid().ToString("N")[..20];
        await Sse.JsonAsync(context.Response, status, new JsonObject
        {
            ["type"] = "error",
            ["error"] = new JsonObject { ["type"] = type, ["message"] = message },
        });
    }

    public async Task DropAsync(HttpContext context, Conversation conversation)
    {
        Sse.Begin(context.Response);
        await Sse.EventAsync(context.Response, "message_start", MessageStart("msg_stubdrop", "stub-model", 10));
        await Sse.EventAsync(context.Response, "content_block_start", new JsonObject
        {
            ["type"] = "content_block_start",
            ["index"] = 0,
            ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" },
        });
        await Sse.EventAsync(context.Response, "content_block_delta", new JsonObject
        {
            ["type"] = "content_block_delta",
            ["index"] = 0,
            ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = "Let me start by" },
        });
        context.Abort();
    }

    static JsonObject MessageStart(string id, string model, int inputTokens) => new()
    {
        ["type"] = "message_start",
        ["message"] = new JsonObject
        {
            ["id"] = id,
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = model,
            ["content"] = new JsonArray(),
            ["stop_reason"] = null,
            ["stop_sequence"] = null,
            ["usage"] = new JsonObject { ["input_tokens"] = inputTokens, ["output_tokens"] = 1 },
        },
    };

    [GeneratedRegex(@"Primary working directory:\s*(?<directory>\S+)", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex WorkingDirectory();
}
