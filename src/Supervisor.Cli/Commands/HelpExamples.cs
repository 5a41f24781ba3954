using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace Supervisor.Cli.Commands;

/// <summary>
/// Adds an "Examples:" section to <c>--help</c>. System.CommandLine 2.0 keeps its help builder internal, so this wraps the
/// help option's action and writes the section after the standard help.
/// </summary>
static class HelpExamples
{
    static readonly ConditionalWeakTable<Command, string[]> Examples = [];

    public static T WithExamples<T>(this T command, params string[] lines)
        where T : Command
    {
        Examples.AddOrUpdate(command, lines);
        return command;
    }

    public static void Install(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        if (help.Action is SynchronousCommandLineAction standard)
        {
            help.Action = new WithExamplesAction(standard);
        }
    }

    /// <summary>Writes the standard help for the command the user asked about (the root when none).</summary>
    public static int WriteHelp(ParseResult parse) =>
        parse.RootCommandResult.Command.Options.OfType<HelpOption>().Single().Action is SynchronousCommandLineAction action
            ? action.Invoke(parse)
            : 0;

    sealed class WithExamplesAction(SynchronousCommandLineAction standard) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var result = standard.Invoke(parseResult);
            if (Examples.TryGetValue(parseResult.CommandResult.Command, out var lines))
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine("Examples:");
                foreach (var line in lines)
                {
                    output.WriteLine("  " + line);
                }

                output.WriteLine();
            }

            return result;
        }
    }
}
