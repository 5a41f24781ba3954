using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Rules.Limits;
using Supervisor.Service.Fleet;
using Supervisor.Service.Limits;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Api;

/// <summary>
/// <c>GET /api/accounts/{id}</c> and <c>POST /api/accounts/{id}/budget</c>: one provider account, and the budgets an
/// operator sets on it. An account id holds slashes (<c>claude/3fa9c2d1e0b4</c>): in the path it is escaped
/// (<c>claude%2F3fa9c2d1e0b4</c>).
/// </summary>
public static partial class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var accounts = app.MapGroup("/api/accounts").WithTags("Agents");
        accounts.MapGet("/{id}", GetAsync)
            .WithName("GetAccount")
            .WithSummary("One provider account: its state, budgets and spend, running attempts against its cap, and the tasks waiting on it")
            .ProducesProblem(StatusCodes.Status404NotFound);
        accounts.MapPost("/{id}/budget", SetBudgetAsync)
            .WithName("SetAccountBudget")
            .WithSummary("Set an account's daily or monthly budget in dollars (null: back to the configured one); raising it releases the tasks waiting on it")
            .Accepts<BudgetRequest>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    static async Task<Results<Ok<AccountDetail>, ProblemHttpResult>> GetAsync(string id, IAccountStore store, AgentCatalog catalog, FleetQueries fleet,
        IOptions<LimitSettings> settings, TimeProvider clock, CancellationToken cancellationToken)
    {
        var account = Uri.UnescapeDataString(id);
        var detail = await DetailAsync(account, store, catalog, fleet, settings.Value, clock.GetUtcNow().UtcDateTime, cancellationToken);
        return detail is null ? NotFound(account) : TypedResults.Ok(detail);
    }

    static async Task<Results<Ok<AccountDetail>, ValidationProblem, ProblemHttpResult>> SetBudgetAsync(string id, HttpRequest http, IAccountStore store,
        AgentCatalog catalog, FleetQueries fleet, IOptions<LimitSettings> settings, TimeProvider clock, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var account = Uri.UnescapeDataString(id);
        var (request, invalid) = await BudgetRequest.ReadAsync(http, cancellationToken);
        if (invalid is not null)
            return TypedResults.ValidationProblem(invalid);

        var now = clock.GetUtcNow().UtcDateTime;
        var agent = (await store.GetAsync(account, now, cancellationToken))?.Account.Agent ?? await AgentFromWorkersAsync(account, fleet, cancellationToken);
        if (agent is null)
            return NotFound(account);
        await store.SetBudgetAsync(account, agent, request!.Daily, request.Monthly, now, cancellationToken);
        var by = Caller.Name(http.HttpContext);
        LogBudgetSet(loggers.CreateLogger(typeof(AccountEndpoints).FullName!), account, Said(request.Daily), Said(request.Monthly), by);
        var detail = await DetailAsync(account, store, catalog, fleet, settings.Value, now, cancellationToken);
        return TypedResults.Ok(detail!);
    }

    /// <summary>
    /// The account with its waiting tasks; one no attempt has started on yet (no row) as the workers' heartbeats name it,
    /// ok and with nothing spent; null when neither knows it.
    /// </summary>
    static async Task<AccountDetail?> DetailAsync(string account, IAccountStore store, AgentCatalog catalog, FleetQueries fleet, LimitSettings settings,
        DateTime now, CancellationToken cancellationToken)
    {
        var found = await store.GetAsync(account, now, cancellationToken);
        var agentName = found?.Account.Agent ?? await AgentFromWorkersAsync(account, fleet, cancellationToken);
        if (agentName is null)
            return null;
        // An agent removed from the configuration: its account shows under the shipped defaults, as the release step sees it.
        var limits = catalog.TryGet(agentName, out var agent) ? agent.Limits : new LimitOptions();
        var workers = (await fleet.WorkersAsync(cancellationToken)).Count(w => !w.Lost && w.Accounts.Values.Contains(account, StringComparer.Ordinal));
        var view = AccountView.Of(account, found?.Account, workers, limits, settings.BudgetZone, now);
        return new AccountDetail(agentName, view, [.. (found?.Waiting ?? []).Select(w => new AccountWaiterView(w.TaskId, w.Since, w.Released))]);
    }

    /// <summary>The agent whose account a worker's heartbeat says <paramref name="account"/> is; null when none does.</summary>
    static async Task<string?> AgentFromWorkersAsync(string account, FleetQueries fleet, CancellationToken cancellationToken)
    {
        if (!LimitOptions.IsValidAccount(account))
            return null;
        var workers = await fleet.WorkersAsync(cancellationToken);
        return workers.SelectMany(w => w.Accounts).FirstOrDefault(a => a.Value == account).Key;
    }

    static ProblemHttpResult NotFound(string account) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Account not found.",
            detail: $"No account has the id '{account}' (escape its slashes in the path: claude%2F3fa9c2d1e0b4).");

    static string Said(BudgetChange? change) => change switch
    {
        null => "unchanged",
        { Usd: { } usd } => "$" + usd.ToString(CultureInfo.InvariantCulture),
        _ => "configured",
    };

    [LoggerMessage(LogLevel.Information, "Budget of account {Account} set by {By}: daily {Daily}, monthly {Monthly}")]
    static partial void LogBudgetSet(ILogger logger, string account, string daily, string monthly, string by);
}

/// <summary>
/// The body of <c>POST /api/accounts/{id}/budget</c>: <c>dailyUsd</c> and <c>monthlyUsd</c>, each a number of dollars
/// (0 to <see cref="LimitBounds.MaxAccountBudgetUsd"/>) or null to go back to the configured budget; a field left out is
/// unchanged. <c>by</c> is ignored: the log names the token that set it.
/// </summary>
public sealed record BudgetRequest(decimal? DailyUsd, decimal? MonthlyUsd, string? By)
{
    /// <summary>The daily change, null when <c>dailyUsd</c> was left out.</summary>
    internal BudgetChange? Daily { get; init; }

    /// <summary>The monthly change, null when <c>monthlyUsd</c> was left out.</summary>
    internal BudgetChange? Monthly { get; init; }

    /// <summary>The request, or the errors of each field (a field left out and one sent as null differ, so the JSON is read by hand).</summary>
    internal static async Task<(BudgetRequest? Request, Dictionary<string, string[]>? Errors)> ReadAsync(HttpRequest http, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(http.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException)
        {
            errors["body"] = ["must be a JSON object such as {\"dailyUsd\": 20, \"monthlyUsd\": null}."];
            return (null, errors);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors["body"] = ["must be a JSON object such as {\"dailyUsd\": 20, \"monthlyUsd\": null}."];
                return (null, errors);
            }

            var daily = Change(document.RootElement, "dailyUsd", errors);
            var monthly = Change(document.RootElement, "monthlyUsd", errors);
            string? by = null;
            if (document.RootElement.TryGetProperty("by", out var byElement))
            {
                if (byElement.ValueKind is not (JsonValueKind.String or JsonValueKind.Null) || byElement.GetString() is { Length: > 200 })
                    errors["by"] = ["must be a string of 200 characters at most."];
                else
                    by = byElement.GetString();
            }

            if (errors.Count == 0 && daily is null && monthly is null)
                errors["dailyUsd"] = ["give dailyUsd or monthlyUsd (a number of dollars, or null for the configured budget)."];
            return errors.Count > 0 ? (null, errors) : (new BudgetRequest(daily?.Usd, monthly?.Usd, by) { Daily = daily, Monthly = monthly }, null);
        }
    }

    static BudgetChange? Change(JsonElement body, string field, Dictionary<string, string[]> errors)
    {
        if (!body.TryGetProperty(field, out var value))
            return null;
        if (value.ValueKind == JsonValueKind.Null)
            return new BudgetChange(null);
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var usd) || usd < 0 || usd > LimitBounds.MaxAccountBudgetUsd)
        {
            errors[field] = [$"must be a number of dollars between 0 and {LimitBounds.MaxAccountBudgetUsd.ToString(CultureInfo.InvariantCulture)}, or null for the configured budget."];
            return null;
        }

        return new BudgetChange(usd);
    }
}
