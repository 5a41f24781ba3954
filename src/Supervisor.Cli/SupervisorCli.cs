using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Spectre.Console;
using Supervisor.Cli.Commands;
using Supervisor.Cli.Rendering;

namespace Supervisor.Cli;

/// <summary>The <c>supervisor</c> command tree and its exit-code policy.</summary>
static class SupervisorCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Build().Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            ReportUsageErrors(parse);
            return ExitCodes.Usage;
        }

        // Without a termination timeout System.CommandLine 2.0.0 leaves SIGINT to the runtime, which kills the process
        // mid-write; with one, Ctrl+C cancels the action's token and the action gets this long to finish cleanly.
        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(2) });
    }

    public static RootCommand Build()
    {
        var root = new RootCommand("Submit AI coding agent tasks to the Supervisor service and follow them.")
        {
            GlobalOptions.Api,
            GlobalOptions.Token,
            GlobalOptions.CaCert,
            GlobalOptions.Json,
            SubmitCommand.Create(),
            ListCommand.Create(),
            ShowCommand.Create(),
            LogsCommand.Create(),
        };
        foreach (var command in TaskActionCommands.Create())
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(BudgetCommand.Create());
        root.Subcommands.Add(ScheduleCommand.Create());
        root.Subcommands.Add(AgentsCommand.Create());
        root.Subcommands.Add(AccountsCommand.Create());
        root.Subcommands.Add(DeadLettersCommand.Create());
        root.Subcommands.Add(TokensCommand.Create());

        // Bare "supervisor": show what there is to do, as a usage error.
        root.SetAction(parse =>
        {
            HelpExamples.WriteHelp(parse);
            return ExitCodes.Usage;
        });
        root.WithExamples(
            "id=$(supervisor submit 'Fix the failing test in tests/Api' --agents claude,codex --repo . --label ticket=42)",
            "supervisor submit 'make test' --agent shell --repo . --wait",
            "supervisor list --state Running",
            "supervisor show $id",
            "supervisor logs $id -f",
            "supervisor approve $id --reason 'plan reviewed'",
            "supervisor schedule add --cron '0 3 * * *' --tz Europe/Berlin --agent claude --repo . 'Bump dependencies'",
            "supervisor agents --json",
            "SUPERVISOR_API=http://build-host:5080 supervisor list");
        HelpExamples.Install(root);
        return root;
    }

    static void ReportUsageErrors(ParseResult parse)
    {
        foreach (var error in parse.Errors)
        {
            Output.ErrorLine(error.Message);
        }

        var path = new List<string>();
        for (SymbolResult? result = parse.CommandResult; result is CommandResult command; result = command.Parent)
        {
            path.Insert(0, command.Command.Name);
        }

        Output.Error.MarkupLine($"[dim]Run '{Markup.Escape(string.Join(' ', path))} --help' for usage.[/]");
    }
}
