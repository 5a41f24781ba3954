using System.CommandLine;
using Spectre.Console;
using Supervisor.Cli.Api;
using Supervisor.Cli.Rendering;
using Supervisor.Contracts;

namespace Supervisor.Cli.Commands;

/// <summary><c>supervisor submit PROMPT ...</c> → <c>POST /api/tasks</c>, optionally waiting for the outcome.</summary>
static class SubmitCommand
{
    static readonly Argument<string> Prompt =
        TaskTemplateOptions.Prompt("What the agent should do (for the shell agent: the command line to run)");

    static readonly Option<Guid?> Id = new("--id")
    {
        Description = "Task id to use (a GUID); submitting the same id twice runs the task once",
        HelpName = "GUID",
        CustomParser = Validation.Id("--id"),
    };

    static readonly Option<DateTimeOffset?> At = new("--at")
    {
        Description = "Start the task later: at a date-time with its offset (2026-12-05T10:00:00+01:00, …Z for UTC) " +
            "or after a delay (+30s, +1h30m, +2d); it waits as Submitted until then",
        HelpName = "TIME",
        CustomParser = Validation.Time("--at"),
    };

    static readonly Option<bool> Wait = new("--wait")
    {
        Description = "Follow the task until it ends; exit 0 only if it succeeded (Ctrl+C stops waiting, not the task)",
    };

    public static Command Create()
    {
        var command = TaskTemplateOptions.AddTo(new Command("submit", "Submit a task and print its id"), Prompt);
        command.Options.Add(Id);
        command.Options.Add(At);
        command.Options.Add(Wait);
        command.SetApiAction(RunAsync);
        return command.WithExamples(
            "supervisor submit 'echo hello' --agent shell --wait",
            "id=$(supervisor submit 'Fix the flaky test in tests/Api' --agents claude,codex --repo . --label ticket=42)",
            "supervisor submit 'make nightly' --agent shell --repo . --at +1h30m",
            "supervisor submit 'Fix the flaky test' --agents claude,codex --on-limit wait --max-wait 1h --repo .",
            "supervisor submit 'Rebase on main' --agent claude --repo . --concurrency-key repo=web --concurrency-strategy cancel-running",
            "supervisor submit 'Upgrade the dependencies' --agent claude --repo . --at 2026-12-05T10:00:00+01:00");
    }

    static async Task<int> RunAsync(ParseResult parse, ApiClient api, CancellationToken ct)
    {
        var json = parse.GetValue(GlobalOptions.Json);
        var accepted = await api.SubmitAsync(BuildRequest(parse), ct);
        var id = accepted.Value.Id;

        if (!parse.GetValue(Wait))
        {
            if (json)
            {
                Output.Json(accepted.Json);
            }
            else
            {
                // Alone on stdout so that scripts can capture it: id=$(supervisor submit ...).
                Output.RawLine(id.ToString());
            }

            return ExitCodes.Success;
        }

        // With --json, stdout carries only the final task document; progress goes to stderr.
        var progress = json ? Output.Error : Output.Human;
        progress.MarkupLine($"Submitted task [bold]{id}[/]");
        var waited = await TaskWaiter.WaitAsync(api, id, progress, ct);
        if (waited is null)
        {
            return ExitCodes.Interrupted;
        }

        if (json)
        {
            Output.Json(waited.Json);
        }
        else
        {
            TaskView.WriteOutcome(Output.Human, waited.Value);
        }

        return waited.Value.State == TaskStates.Succeeded ? ExitCodes.Success : ExitCodes.Failure;
    }

    internal static SubmitRequest BuildRequest(ParseResult parse)
    {
        var task = TaskTemplateOptions.Read(parse, Prompt);
        return new SubmitRequest(
            Id: parse.GetValue(Id),
            Prompt: task.Prompt,
            Agent: task.Agent,
            Agents: task.Agents,
            Repository: task.Repository,
            Risk: task.Risk,
            TimeoutSeconds: task.TimeoutSeconds,
            Verify: task.Verify,
            ExpectChanges: task.ExpectChanges,
            Labels: task.Labels,
            RunAt: parse.GetValue(At),
            Fallback: task.Fallback,
            Model: task.Model,
            OnLimit: task.OnLimit,
            MaxWait: task.MaxWait,
            MaxWindows: task.MaxWindows,
            ConcurrencyKey: task.ConcurrencyKey,
            ConcurrencyLimit: task.ConcurrencyLimit,
            ConcurrencyStrategy: task.ConcurrencyStrategy,
            MaxCostUsd: task.MaxCostUsd,
            MaxTokens: task.MaxTokens,
            OnBudget: task.OnBudget);
    }
}
