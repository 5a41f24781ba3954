using Supervisor.Rules.Approval;
using Supervisor.Service.Tasks;

namespace Supervisor.Tests.Rules.Approval;

public sealed class ApprovalPolicySpecs
{
    [Theory]
    [InlineData("high", true)]
    [InlineData("HIGH", true)]
    [InlineData("medium", false)]
    [InlineData("low", false)]
    public void Without_configured_levels_only_a_high_risk_task_waits_for_approval(string risk, bool waits) =>
        Assert.Equal(waits, ApprovalPolicy.RequiresApproval([], risk));

    [Fact]
    public void A_task_that_declares_no_risk_never_waits_for_approval() =>
        Assert.False(ApprovalPolicy.RequiresApproval(["low", "medium", "high"], null));

    [Fact]
    public void Configured_levels_replace_the_default()
    {
        string[] levels = ["Medium"];

        Assert.True(ApprovalPolicy.RequiresApproval(levels, "medium"));
        Assert.False(ApprovalPolicy.RequiresApproval(levels, "high"));
    }

    [Fact]
    public void The_level_none_lets_every_task_start_without_approval() =>
        Assert.All(new[] { "low", "medium", "high" }, risk => Assert.False(ApprovalPolicy.RequiresApproval(["none"], risk)));

    [Fact]
    public void The_policy_options_decide_by_the_rule()
    {
        Assert.True(new PolicyOptions().RequiresApproval("high"));
        Assert.False(new PolicyOptions { ApprovalRequiredFor = ["low"] }.RequiresApproval("high"));
    }
}
