using Spectre.Console;

namespace Supervisor.Tests.Cli;

/// <summary>What a view writes, as plain lines: no colour, wide enough not to wrap, trailing spaces trimmed.</summary>
static class Rendered
{
    public static List<string> Lines(Action<IAnsiConsole> write)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 200;
        write(console);
        return writer.ToString().Split('\n').Select(l => l.TrimEnd()).ToList();
    }
}
