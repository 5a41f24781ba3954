using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Supervisor.Hosting;

/// <summary>An options class that checks itself: each error names its configuration key and the reason.</summary>
public interface ISelfValidatingOptions
{
    IReadOnlyList<string> Validate();
}

/// <summary>Runs an options class's own <see cref="ISelfValidatingOptions.Validate"/> when the options are built.</summary>
public sealed class SelfValidatingOptions<T> : IValidateOptions<T>
    where T : class, ISelfValidatingOptions
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

public static class SelfValidatingOptionsExtensions
{
    /// <summary>Binds <typeparamref name="T"/> to <paramref name="section"/> and validates it at start: bad configuration stops the process.</summary>
    public static IServiceCollection AddSelfValidatingOptions<T>(this IServiceCollection services, IConfigurationSection section)
        where T : class, ISelfValidatingOptions
    {
        services.AddOptions<T>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>, SelfValidatingOptions<T>>();
        return services;
    }
}
