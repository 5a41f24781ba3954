using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Supervisor.Cli.Api;
using Supervisor.Cli.Rendering;

namespace Supervisor.Cli.Commands;

/// <summary>
/// <c>supervisor accounts show|budget ID</c> → <c>/api/accounts/{id}</c>: one provider account (its state, budgets and
/// spend, the tasks waiting on it), and an operator's daily and monthly budgets for it.
/// </summary>
static class AccountsCommand
{
    /// <summary>The largest budget the service takes (its <c>LimitBounds.MaxAccountBudgetUsd</c>).</summary>
    const decimal MaxBudgetUsd = 1_000_000m;

    public static Command Create()
    {
        var command = new Command("accounts", "Show a provider account, or set its daily and monthly budgets") { Show(), Budget() };

        // Bare "supervisor accounts": show the subcommands, as a usage error.
        command.SetAction(parse =>
        {
            HelpExamples.WriteHelp(parse);
            return ExitCodes.Usage;
        });
        return command.WithExamples(
            "supervisor agents",
            "supervisor accounts show claude/3fa9c2d1e0b4",
            "supervisor accounts budget claude/3fa9c2d1e0b4 --daily 20 --monthly 300",
            "supervisor accounts budget claude/3fa9c2d1e0b4 --daily none");
    }

    static Argument<string> IdArgument() =>
        new("ID") { Description = "The account, as supervisor agents lists it (claude/3fa9c2d1e0b4)" };

    static Command Show()
    {
        var id = IdArgument();
        var command = new Command("show", "Show an account: its state, budgets and spend, running attempts and waiting tasks") { id };
        command.SetApiAction(async (parse, api, ct) =>
        {
            var account = await api.GetAccountAsync(parse.GetRequiredValue(id), ct);
            Write(parse, account);
            return ExitCodes.Success;
        });
        return command.WithExamples("supervisor accounts show claude/3fa9c2d1e0b4", "supervisor accounts show metered/one --json");
    }

    static Command Budget()
    {
        var id = IdArgument();
        var daily = new Option<string>("--daily")
        {
            Description = "Dollars the account may spend per day; none: back to the configured Limits:DailyBudgetUsd",
            HelpName = "USD|none",
        };
        var monthly = new Option<string>("--monthly")
        {
            Description = "Dollars the account may spend per calendar month; none: back to the configured Limits:MonthlyBudgetUsd",
            HelpName = "USD|none",
        };
        var command = new Command("budget", "Set an account's daily or monthly budget; raising it releases the tasks waiting on it") { id, daily, monthly };
        command.SetApiAction(async (parse, api, ct) =>
        {
            var body = new JsonObject();
            if (parse.GetValue(daily) is { } dailyText)
            {
                body["dailyUsd"] = Usd("--daily", dailyText);
            }

            if (parse.GetValue(monthly) is { } monthlyText)
            {
                body["monthlyUsd"] = Usd("--monthly", monthlyText);
            }

            if (body.Count == 0)
            {
                throw new UsageException("give --daily or --monthly (a number of dollars, or none for the configured budget)");
            }

            Write(parse, await api.SetAccountBudgetAsync(parse.GetRequiredValue(id), body, ct));
            return ExitCodes.Success;
        });
        return command.WithExamples(
            "supervisor accounts budget claude/3fa9c2d1e0b4 --daily 20",
            "supervisor accounts budget claude/3fa9c2d1e0b4 --monthly 300 --daily none",
            "supervisor accounts budget metered/one --daily 5 --json");
    }

    /// <summary>A budget option's value: dollars (0 to 1,000,000) or <c>none</c> (a JSON null).</summary>
    internal static JsonNode? Usd(string option, string text)
    {
        if (string.Equals(text.Trim(), "none", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var trimmed = text.Trim().TrimStart('$');
        if (!decimal.TryParse(trimmed, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var usd) || usd > MaxBudgetUsd)
        {
            throw new UsageException($"{option}: '{text}' is not a budget; give dollars between 0 and 1000000 (20, 7.50) or none");
        }

        return JsonValue.Create(usd);
    }

    static void Write(ParseResult parse, ApiResponse<AccountDetail> account)
    {
        if (parse.GetValue(GlobalOptions.Json))
        {
            Output.Json(account.Json);
        }
        else
        {
            AccountDetailView.Write(Output.Human, account.Value, DateTimeOffset.UtcNow);
        }
    }
}
