using Supervisor.Hosting;

namespace Supervisor.Tests.Hosting;

public sealed class WatchdogRulesSpecs
{
    static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    static readonly TimeSpan StuckAfter = TimeSpan.FromMinutes(5);

    [Fact]
    public void A_message_quiet_for_less_than_StuckAfter_is_not_wedged()
    {
        var rules = new WatchdogRules(StuckAfter);

        Assert.Equal(WatchdogVerdict.Healthy, rules.Judge(Start + StuckAfter - TimeSpan.FromSeconds(1), Start, consuming: true, brokerReachable: true));
    }

    [Fact]
    public void A_message_quiet_for_StuckAfter_while_the_broker_answers_is_wedged()
    {
        var rules = new WatchdogRules(StuckAfter);

        Assert.True(rules.NeedsBroker(Start + StuckAfter, Start, consuming: true));
        Assert.Equal(WatchdogVerdict.MessageWedged, rules.Judge(Start + StuckAfter, Start, consuming: true, brokerReachable: true));
    }

    [Fact]
    public void A_message_that_retries_every_half_minute_through_a_long_outage_is_never_wedged()
    {
        var rules = new WatchdogRules(StuckAfter);

        // Each retry is a sign of life: for an hour, the quietest message was last heard of at most 30 s ago.
        for (var t = TimeSpan.Zero; t < TimeSpan.FromHours(1); t += TimeSpan.FromSeconds(30))
        {
            var now = Start + t;
            Assert.Equal(WatchdogVerdict.Healthy, rules.Judge(now, now - TimeSpan.FromSeconds(29), consuming: true, brokerReachable: true));
        }
    }

    [Fact]
    public void Endpoints_that_do_not_consume_while_the_broker_is_away_are_waiting_not_wedged()
    {
        var rules = new WatchdogRules(StuckAfter);

        for (var t = TimeSpan.Zero; t <= TimeSpan.FromHours(1); t += TimeSpan.FromSeconds(30))
            Assert.Equal(WatchdogVerdict.Healthy, rules.Judge(Start + t, Start, consuming: false, brokerReachable: false));
    }

    [Fact]
    public void Endpoints_that_do_not_consume_for_StuckAfter_while_the_broker_answers_are_wedged()
    {
        var rules = new WatchdogRules(StuckAfter);

        Assert.True(rules.NeedsBroker(Start, lastSignOfLife: null, consuming: false));
        Assert.Equal(WatchdogVerdict.Healthy, rules.Judge(Start, null, consuming: false, brokerReachable: true));
        Assert.Equal(WatchdogVerdict.Healthy, rules.Judge(Start + StuckAfter - TimeSpan.FromSeconds(1), null, consuming: false, brokerReachable: true));
        Assert.Equal(WatchdogVerdict.NotConsuming, rules.Judge(Start + StuckAfter, null, consuming: false, brokerReachable: true));
    }

    [Fact]
    public void The_time_not_consuming_counts_from_when_the_broker_came_back()
    {
        var rules = new WatchdogRules(StuckAfter);
        rules.Judge(Start, null, consuming: false, brokerReachable: false);
        var back = Start + TimeSpan.FromMinutes(20);

        Assert.Equal(WatchdogVerdict.Healthy, rules.Judge(back, null, consuming: false, brokerReachable: true));
        Assert.Equal(WatchdogVerdict.Healthy, rules.Judge(back + StuckAfter - TimeSpan.FromSeconds(1), null, consuming: false, brokerReachable: true));
        Assert.Equal(WatchdogVerdict.NotConsuming, rules.Judge(back + StuckAfter, null, consuming: false, brokerReachable: true));
    }

    [Fact]
    public void Endpoints_that_consume_again_start_the_count_over()
    {
        var rules = new WatchdogRules(StuckAfter);
        rules.Judge(Start, null, consuming: false, brokerReachable: true);
        rules.Judge(Start + TimeSpan.FromMinutes(4), null, consuming: true, brokerReachable: true);

        Assert.Equal(WatchdogVerdict.Healthy, rules.Judge(Start + TimeSpan.FromMinutes(6), null, consuming: false, brokerReachable: true));
    }

    [Fact]
    public void Nothing_wrong_needs_no_look_at_the_broker()
    {
        var rules = new WatchdogRules(StuckAfter);

        Assert.False(rules.NeedsBroker(Start, Start - TimeSpan.FromSeconds(10), consuming: true));
    }

    [Fact]
    public void A_StuckAfter_below_a_minute_is_refused()
    {
        Assert.NotEmpty(new WatchdogOptions { StuckAfter = TimeSpan.FromSeconds(59) }.Validate());
        Assert.Empty(new WatchdogOptions().Validate());
    }
}
