using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Supervisor.Settings;

/// <summary>An options class that checks itself: each error names its full configuration key and the reason.</summary>
public interface IValidatedOptions
{
    /// <summary>Every error of this section (each <c>Full:Key: reason</c>); empty when it is usable.</summary>
    IReadOnlyList<string> Validate();
}

/// <summary>Runs an options class's own <see cref="IValidatedOptions.Validate"/> whenever the options are built.</summary>
public sealed class ValidatedOptionsAdapter<T> : IValidateOptions<T>
    where T : class, IValidatedOptions
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>The one way options are registered: bound from their section, validated by their own rules, checked at start.</summary>
public static class ValidatedOptionsExtensions
{
    /// <summary>
    /// Binds <typeparamref name="T"/> to configuration section <paramref name="section"/> and validates it when the host
    /// starts: a value that does not convert, a duration written wrong (<see cref="DurationSettings"/>), or an error of
    /// <see cref="IValidatedOptions.Validate"/> stops the process, naming the key. A check that needs other services is one more <see cref="IValidateOptions{T}"/> beside it.
    /// </summary>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, string section)
        where T : class, IValidatedOptions
    {
        // Durations first: a value written wrong reads as something else, which the options' own rules may refuse too.
        services.AddSingleton<IValidateOptions<T>>(sp => new DurationSettingsValidator<T>(sp.GetRequiredService<IConfiguration>(), section));
        services.AddSingleton<IValidateOptions<T>, ValidatedOptionsAdapter<T>>();
        return services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
    }
}
