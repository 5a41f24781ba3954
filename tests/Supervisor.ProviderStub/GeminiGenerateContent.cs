using System.Text.Json.Nodes;

namespace Supervisor.ProviderStub;

/// <summary>
/// The Gemini API (<c>POST /v1beta/models/{model}:generateContent</c> and <c>:streamGenerateContent?alt=sse</c>), as Gemini CLI
/// speaks it.
/// </summary>
sealed class GeminiGenerateContent : IProviderApi
{
    public string Name => "gemini";

    public Conversation Read(JsonNode body, HttpRequest request)
    {
        var tools = (body["tools"]?.AsArray() ?? [])
            .SelectMany(t => t?["functionDeclarations"]?.AsArray() ?? [])
            .Select(f => f?["name"]?.GetValue<string>()).OfType<string>().ToHashSet();
        var afterTool = (body["contents"]?.AsArray() ?? []).Any(c => c?["parts"] is JsonArray parts && parts.Any(p => p?["functionResponse"] is not null));
        var stream = request.Path.Value?.EndsWith(":streamGenerateContent", StringComparison.Ordinal) == true;
        return new Conversation(tools.Count > 0, afterTool, tools, null, stream);
    }

    public Answer.ToolCall? WriteFile(Conversation conversation, string file, string content, int inputTokens)
    {
        if (conversation.Tools.Contains("write_file"))
            return new("write_file", new JsonObject { ["file_path"] = file, ["content"] = content }, inputTokens);
        return conversation.Tools.Contains("run_shell_command")
            ? new("run_shell_command", new JsonObject { ["command"] = Shell.WriteCommand(file, content), ["description"] = $"Write {file}" }, inputTokens)
            : null;
    }

    public async Task AnswerAsync(HttpContext context, Conversation conversation, Answer answer)
    {
        JsonObject part = answer switch
        {
            Answer.ToolCall call => new JsonObject { ["functionCall"] = new JsonObject { ["name"] = call.Name, ["args"] = call.Arguments.DeepClone() } },
            Answer.Text text => new JsonObject { ["text"] = text.Content },
            _ => throw new InvalidOperationException(),
        };
        var chunk = Chunk(part, "STOP", answer.InputTokens, answer.OutputTokens);
        if (!conversation.Stream)
        {
            await Sse.JsonAsync(context.Response, 200, chunk);
            return;
        }

        Sse.Begin(context.Response);
        await Sse.EventAsync(context.Response, null, chunk);
    }

    public async Task ErrorAsync(HttpContext context, Step step)
    {
        var details = new JsonArray();
        var (status, code, message) = step.Kind switch
        {
            StepKind.RateLimited => (429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
            StepKind.Quota => (429, "RESOURCE_EXHAUSTED",
                "You exceeded your current quota, please check your plan and billing details. You have exhausted your daily quota on this model."),
            StepKind.UsageWindow => (429, "RESOURCE_EXHAUSTED",
                "You exceeded your current quota, please check your plan and billing details. Please retry in " + step.ResetInSeconds + "s."),
            StepKind.Overloaded => (503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
            StepKind.Unauthorized => (401, "UNAUTHENTICATED", "API key not valid. Please pass a valid API key."),
            _ => (500, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"),
        };
        if (step.Kind == StepKind.Quota)
        {
            details.Add(new JsonObject
            {
                ["@type"] = "type.googleapis.com/google.rpc.QuotaFailure",
                ["violations"] = new JsonArray(new JsonObject
                {
                    ["quotaMetric"] = "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                    ["quotaId"] = "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
                }),
            });
        }

        if (step.Kind == StepKind.UsageWindow)
        {
            // A per-minute quota (Gemini's window short enough to wait out) with the delay the API asks for.
            details.Add(new JsonObject
            {
                ["@type"] = "type.googleapis.com/google.rpc.QuotaFailure",
                ["violations"] = new JsonArray(new JsonObject
                {
                    ["quotaMetric"] = "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                    ["quotaId"] = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                    ["quotaDimensions"] = new JsonObject { ["location"] = "global", ["model"] = "gemini-2.5-flash" },
                    ["quotaValue"] = "10",
                }),
            });
            details.Add(new JsonObject { ["@type"] = "type.googleapis.com/google.rpc.RetryInfo", ["retryDelay"] = $"{step.ResetInSeconds}s" });
        }

        if (step.RetryAfterSeconds > 0)
        {
            context.Response.Headers.RetryAfter = step.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            details.Add(new JsonObject { ["@type"] = "type.googleapis.com/google.rpc.RetryInfo", ["retryDelay"] = $"{step.RetryAfterSeconds}s" });
        }

        await Sse.JsonAsync(context.Response, status, new JsonObject
        {
            ["error"] = new JsonObject { ["code"] = status, ["message"] = message, ["status"] = code, ["details"] = details },
        });
    }

    public async Task DropAsync(HttpContext context, Conversation conversation)
    {
        Sse.Begin(context.Response);
        var part = new JsonObject { ["text"] = "Let me start by" };
        await Sse.EventAsync(context.Response, null, Chunk(part, null, 10, 3));
        context.Abort();
    }

    static JsonObject Chunk(JsonObject part, string? finishReason, int inputTokens, int outputTokens) => new()
    {
        ["candidates"] = new JsonArray(new JsonObject
        {
            ["content"] = new JsonObject { ["parts"] = new JsonArray(part), ["role"] = "model" },
            ["finishReason"] = finishReason,
            ["index"] = 0,
        }),
        ["usageMetadata"] = new JsonObject
        {
            ["promptTokenCount"] = inputTokens,
            ["candidatesTokenCount"] = outputTokens,
            ["totalTokenCount"] = inputTokens + outputTokens,
        },
        ["modelVersion"] = "stub-model",
    };
}
