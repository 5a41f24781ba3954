using Supervisor.Rules.Failures;

namespace Supervisor.Tests.Rules.Failures;

public sealed class ContainerCrashesSpecs
{
    [Fact]
    public void A_container_killed_for_memory_is_a_crash_naming_its_limit() =>
        Assert.Equal("out of memory: the container exceeded its 64 MB limit and was killed (exit code 137)",
            ContainerCrashes.Describe(137, oomKilled: true, memoryLimitMb: 64, runtimeError: null));

    [Fact]
    public void A_container_that_exited_0_under_memory_pressure_did_not_crash() =>
        Assert.Null(ContainerCrashes.Describe(0, oomKilled: true, memoryLimitMb: 64, runtimeError: null));

    [Fact]
    public void A_runtime_error_reported_by_the_engine_is_a_crash() =>
        Assert.Equal("the container runtime failed: exec format error", ContainerCrashes.Describe(1, oomKilled: false, memoryLimitMb: 64, "exec format error"));

    [Fact]
    public void An_ordinary_non_zero_exit_is_the_agents_own() =>
        Assert.Null(ContainerCrashes.Describe(1, oomKilled: false, memoryLimitMb: 64, runtimeError: ""));
}
