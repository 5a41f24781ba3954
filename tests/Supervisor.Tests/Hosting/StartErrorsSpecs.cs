using Microsoft.Extensions.Options;
using Supervisor.Hosting;

namespace Supervisor.Tests.Hosting;

public sealed class StartErrorsSpecs
{
    [Fact]
    public async Task A_refused_setting_ends_with_the_configuration_exit_code_and_one_line_per_key()
    {
        using var errors = new StringWriter();

        var code = await StartErrors.RunAsync(() => throw new AggregateException(
            new OptionsValidationException("A", typeof(object), ["A:X: must be at least 1."]),
            new InvalidOperationException("wrapped", new OptionsValidationException("B", typeof(object), ["B:Y: '2' has no unit"]))), errors);

        Assert.Equal(StartErrors.ConfigurationExitCode, code);
        Assert.Equal(["configuration error: A:X: must be at least 1.", "configuration error: B:Y: '2' has no unit"],
            errors.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Any_other_failure_is_not_taken_for_a_configuration_error()
    {
        using var errors = new StringWriter();

        await Assert.ThrowsAsync<InvalidOperationException>(() => StartErrors.RunAsync(() => throw new InvalidOperationException("broken"), errors));
        Assert.Empty(errors.ToString());
    }

    [Fact]
    public async Task A_host_that_ran_and_stopped_exits_with_zero() =>
        Assert.Equal(0, await StartErrors.RunAsync(() => Task.CompletedTask));
}
