using System.CommandLine;
using Spectre.Console;
using Supervisor.Cli.Api;
using Supervisor.Cli.Rendering;
using Supervisor.Contracts;

namespace Supervisor.Cli.Commands;

/// <summary>
/// <c>budget ID [--max-cost USD] [--max-tokens N]</c> → <c>POST /api/tasks/{id}/budget</c>: sets a task's budget; a task its
/// budget paused or stopped goes on when the new one is above what it spent.
/// </summary>
static class BudgetCommand
{
    public static Command Create()
    {
        var id = TaskIdArgument.Create();
        var maxCost = new Option<decimal?>("--max-cost")
        {
            Description = "Most dollars the task's attempts may spend, summed",
            HelpName = "USD",
            CustomParser = Validation.PositiveDecimal("--max-cost must be a positive number of dollars", BudgetPolicies.MaxCostUsd),
        };
        var maxTokens = new Option<long?>("--max-tokens")
        {
            Description = "Most tokens the task's attempts may use, summed",
            HelpName = "N",
            CustomParser = Validation.PositiveLong("--max-tokens must be a positive number of tokens", BudgetPolicies.MaxTokens),
        };
        var reason = new Option<string>("--reason") { Description = "Why; recorded in the task's audit trail", HelpName = "TEXT" };
        var command = new Command("budget", "Set a task's budget; a task its budget paused or stopped goes on when it is raised")
        {
            id, maxCost, maxTokens, reason,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(maxCost) is null && result.GetValue(maxTokens) is null)
            {
                result.AddError("give --max-cost, --max-tokens or both");
            }
        });

        command.SetApiAction(async (parse, api, ct) =>
        {
            var taskId = await TaskIdArgument.ResolveAsync(api, parse.GetRequiredValue(id), ct);
            var request = new TaskBudgetRequest(parse.GetValue(maxCost), parse.GetValue(maxTokens), parse.GetValue(reason));
            var accepted = await api.SetBudgetAsync(taskId, request, ct);
            if (parse.GetValue(GlobalOptions.Json))
            {
                Output.Json(accepted.Json);
            }
            else
            {
                var budget = accepted.Value.Budget is { } b ? " — budget " + TaskBudgetText.Markup(b) : "";
                Output.Human.MarkupLine($"{Markup.Escape(accepted.Value.Id.ToString())}: {StateStyle.Markup(accepted.Value.State)}{budget}");
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
