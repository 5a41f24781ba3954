using System.Text.Encodings.Web;
using System.Text.Json;
using Spectre.Console;

namespace Supervisor.Cli.Rendering;

/// <summary>
/// The CLI's only way to the terminal. Human output goes through Spectre.Console (which drops colour when not on a TTY);
/// <c>--json</c>, captured ids and raw logs go to stdout untouched so scripts can consume them.
/// </summary>
static class Output
{
    static readonly JsonWriterOptions PrettyJson = new()
    {
        Indented = true,
        // Keep prompts and log text readable: no \uXXXX for non-ASCII or for characters like '<' and '+'.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    const int UnwrappedWidth = 1000;

    /// <summary>Formatted output on stdout.</summary>
    public static IAnsiConsole Human { get; } = Create(Console.Out, Console.IsOutputRedirected);

    /// <summary>Formatted output on stderr: errors, progress next to --json, and log headers.</summary>
    public static IAnsiConsole Error { get; } = Create(Console.Error, Console.IsErrorRedirected);

    /// <summary>Writes text to stdout exactly as given.</summary>
    public static void Raw(string text) => Console.Out.Write(text);

    public static void RawLine(string text) => Console.Out.WriteLine(text);

    public static void Flush() => Console.Out.Flush();

    /// <summary>Writes the API's JSON to stdout, pretty-printed but otherwise unchanged.</summary>
    public static void Json(string json) => RawLine(Pretty(json));

    public static void ErrorLine(string message) =>
        Error.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");

    public static void WarningLine(string message) =>
        Error.MarkupLine($"[yellow]warning:[/] {Markup.Escape(message)}");

    // Spectre decides colour from TERM alone, so a pipe from an xterm would get escape codes: say "no" for redirected
    // output. Spectre also wraps at 80 columns when it cannot ask the terminal; a pipe or log file is better unwrapped.
    static IAnsiConsole Create(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Out = new AnsiConsoleOutput(writer),
        });
        if (redirected)
        {
            console.Profile.Width = UnwrappedWidth;
        }

        return console;
    }

    public static string Pretty(string json)
    {
        using var document = JsonDocument.Parse(json);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, PrettyJson))
        {
            document.WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>One JSON value on one line, for streams (JSON Lines).</summary>
    public static string Compact(string json)
    {
        using var document = JsonDocument.Parse(json);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = PrettyJson.Encoder }))
        {
            document.WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
