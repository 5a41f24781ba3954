using System.Text.Json.Nodes;

namespace Supervisor.ProviderStub;

/// <summary>What the stub answers to a request it serves successfully.</summary>
public abstract record Answer(int InputTokens)
{
    public sealed record Text(string Content, int InputTokens) : Answer(InputTokens);

    /// <summary>A call of the CLI's own tool, with its arguments as a JSON object.</summary>
    public sealed record ToolCall(string Name, JsonObject Arguments, int InputTokens) : Answer(InputTokens);

    public int OutputTokens => this switch
    {
        Text t => 5 + (t.Content.Length / 4),
        ToolCall c => 10 + (c.Arguments.ToJsonString().Length / 4),
        _ => 0,
    };
}

/// <summary>What one provider API request says, as far as the stub cares.</summary>
/// <param name="AgentTurn">The request offers tools: it is a step of the agent's loop (side requests, such as a title, are not).</param>
/// <param name="AfterToolResult">The conversation already holds a tool's result: the task is done, say so.</param>
/// <param name="Tools">Names of the tools offered.</param>
/// <param name="WorkingDirectory">The CLI's working directory, where its prompt says.</param>
/// <param name="Stream">The client asked for a streamed answer.</param>
public sealed record Conversation(bool AgentTurn, bool AfterToolResult, IReadOnlySet<string> Tools, string? WorkingDirectory, bool Stream);

/// <summary>One provider API: how its requests read, and how its answers, errors and dropped streams look on the wire.</summary>
public interface IProviderApi
{
    string Name { get; }

    Conversation Read(JsonNode body, HttpRequest request);

    /// <summary>A call of whichever tool of the CLI writes <paramref name="file"/>, or null when it offers none.</summary>
    Answer.ToolCall? WriteFile(Conversation conversation, string file, string content, int inputTokens);

    Task AnswerAsync(HttpContext context, Conversation conversation, Answer answer);

    Task ErrorAsync(HttpContext context, Step step);

    /// <summary>Starts a streamed answer and drops the connection before it completes.</summary>
    Task DropAsync(HttpContext context, Conversation conversation);
}

static class Shell
{
    public static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    public static string WriteCommand(string file, string content) => $"printf '%s' {Quote(content)} > {Quote(file)}";
}
