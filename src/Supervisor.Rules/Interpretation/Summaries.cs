namespace Supervisor.Rules.Interpretation;

static class Summaries
{
    const int MaxChars = 1000;

    /// <summary>The agent's final answer as one paragraph of bounded length; null when it said nothing.</summary>
    public static string? Of(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var paragraph = string.Join(' ', text.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
        return paragraph.Length > MaxChars ? paragraph[..MaxChars] + "…" : paragraph;
    }
}
