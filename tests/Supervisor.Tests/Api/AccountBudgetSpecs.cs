using System.Text;
using Microsoft.AspNetCore.Http;
using Supervisor.Agents;
using Supervisor.Rules.Limits;
using Supervisor.Service.Api;
using Supervisor.Service.Limits;
using Supervisor.Service.Storage;

namespace Supervisor.Tests.Api;

/// <summary>
/// An account's budgets as the API reads and shows them: the body of <c>POST /api/accounts/{id}/budget</c> (a field left
/// out is unchanged, null goes back to the configuration, a bad value is an error naming its field), the derived
/// <c>budgetReached</c> state, and <c>Supervisor:Limits:BudgetTimeZone</c>.
/// </summary>
public sealed class AccountBudgetSpecs
{
    static readonly DateTime Now = new(2025, 6, 2, 13, 50, 0, DateTimeKind.Utc);

    static async Task<(BudgetRequest? Request, Dictionary<string, string[]>? Errors)> ReadAsync(string json)
    {
        var http = new DefaultHttpContext();
        http.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(json));
        return await BudgetRequest.ReadAsync(http.Request, CancellationToken.None);
    }

    [Fact]
    public async Task A_field_left_out_is_unchanged_and_null_goes_back_to_the_configuration()
    {
        var (request, errors) = await ReadAsync("""{"dailyUsd": 12.5, "monthlyUsd": null, "by": "ops"}""");

        Assert.Null(errors);
        Assert.Equal((new BudgetChange(12.5m), new BudgetChange(null), "ops"), (request!.Daily, request.Monthly, request.By));

        var (onlyMonthly, _) = await ReadAsync("""{"monthlyUsd": 300}""");
        Assert.Equal((null, new BudgetChange(300m)), (onlyMonthly!.Daily, onlyMonthly.Monthly));
    }

    [Theory]
    [InlineData("""{"dailyUsd": -1}""", "dailyUsd")]
    [InlineData("""{"dailyUsd": "5"}""", "dailyUsd")]
    [InlineData("""{"monthlyUsd": 1000000.01}""", "monthlyUsd")]
    [InlineData("""{"by": "ops"}""", "dailyUsd")]
    [InlineData("""[1]""", "body")]
    [InlineData("""{"dailyUsd": """, "body")]
    public async Task A_bad_body_is_an_error_naming_its_field(string json, string field)
    {
        var (request, errors) = await ReadAsync(json);

        Assert.Null(request);
        Assert.Equal([field], errors!.Keys);
    }

    [Fact]
    public async Task The_largest_budget_and_zero_are_valid()
    {
        var (request, _) = await ReadAsync("""{"dailyUsd": 0, "monthlyUsd": 1000000}""");

        Assert.Equal((0m, LimitBounds.MaxAccountBudgetUsd), (request!.Daily!.Usd!.Value, request.Monthly!.Usd!.Value));
    }

    [Fact]
    public void An_ok_account_whose_spend_reached_a_budget_is_budgetReached_with_the_budget_and_spend()
    {
        var record = new AccountRecord("metered/one", "metered", AccountStatus.Ok, null, null, 0, Now, Spend: new AccountSpend(1.2m, 3m, null, null));

        var view = AccountView.Of("metered/one", record, 1, new LimitOptions { DailyBudgetUsd = 1.2m }, TimeZoneInfo.Utc, Now);

        Assert.Equal("budgetReached", view.State);
        Assert.Equal(new BudgetView(1.2m, "config", 1.2m, true, new DateTime(2025, 6, 3, 0, 0, 0, DateTimeKind.Utc)), view.Budgets!.Daily);
        Assert.Equal(new BudgetView(null, "config", 3m, false, new DateTime(2025, 7, 1, 0, 0, 0, DateTimeKind.Utc)), view.Budgets.Monthly);
    }

    [Fact]
    public void An_operators_budget_above_the_spend_leaves_the_account_ok_and_says_its_source()
    {
        var record = new AccountRecord("metered/one", "metered", AccountStatus.Ok, null, null, 0, Now, Spend: new AccountSpend(1.2m, 3m, 5m, null));

        var view = AccountView.Of("metered/one", record, 1, new LimitOptions { DailyBudgetUsd = 1.2m }, TimeZoneInfo.Utc, Now);

        Assert.Equal(("ok", 5m, "operator"), (view.State, view.Budgets!.Daily.Usd, view.Budgets.Daily.Source));
    }

    [Fact]
    public void A_block_in_force_shows_before_a_reached_budget()
    {
        var blocked = new AccountStatus(AccountState.Blocked, LimitKind.UsageWindow, Now.AddHours(1), Now, null, null);
        var record = new AccountRecord("metered/one", "metered", blocked, null, null, 1, Now, Spend: new AccountSpend(9m, 9m, null, null));

        var view = AccountView.Of("metered/one", record, 1, new LimitOptions { DailyBudgetUsd = 1m }, TimeZoneInfo.Utc, Now);

        Assert.Equal(("blocked", true), (view.State, view.Budgets!.Daily.Reached));
    }

    [Theory]
    [InlineData("UTC")]
    [InlineData("Europe/Berlin")]
    [InlineData("America/New_York")]
    public void An_IANA_zone_is_a_budget_time_zone(string zone) =>
        Assert.Empty(new LimitSettings { BudgetTimeZone = zone }.Validate());

    [Theory]
    [InlineData("Mars/Olympus")]
    [InlineData("")]
    public void Any_other_budget_time_zone_fails_at_start_naming_its_key(string zone) =>
        Assert.StartsWith("Supervisor:Limits:BudgetTimeZone: ", Assert.Single(new LimitSettings { BudgetTimeZone = zone }.Validate()), StringComparison.Ordinal);
}
