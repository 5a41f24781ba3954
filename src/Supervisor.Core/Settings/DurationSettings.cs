using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Supervisor.Settings;

/// <summary>
/// Checks every duration an options class binds, as written in configuration, naming the key of each one written wrong.
/// The binder cannot do it: <see cref="DurationConverter"/> must still read a bare number as days for other libraries,
/// and the binder drops a list or dictionary item that fails to convert without a word (dotnet/runtime#35007).
/// </summary>
public sealed class DurationSettingsValidator<T>(IConfiguration configuration, string section) : IValidateOptions<T>
    where T : class
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var errors = DurationSettings.Errors(configuration.GetSection(section), typeof(T)).ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Walks an options type and the configuration below its section together, reading each duration found.</summary>
public static class DurationSettings
{
    /// <summary>
    /// One error per duration under <paramref name="section"/> that <see cref="Durations"/> refuses, and per setting still
    /// written under its old key (<see cref="FormerlyNamedAttribute"/>), naming the key.
    /// </summary>
    public static IEnumerable<string> Errors(IConfigurationSection section, Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0)
            .SelectMany(p => Renamed(section, p).Concat(ErrorsIn(section.GetSection(p.Name), p.PropertyType)));

    static IEnumerable<string> Renamed(IConfigurationSection section, PropertyInfo property) =>
        property.GetCustomAttributes<FormerlyNamedAttribute>()
            .Where(old => section.GetSection(old.Name).Exists())
            .Select(old => $"{section.GetSection(old.Name).Path}: renamed; write {section.GetSection(property.Name).Path} instead ({old.Hint}).");

    static IEnumerable<string> ErrorsIn(IConfigurationSection section, Type type)
    {
        if (!section.Exists())
            return [];
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(TimeSpan))
            return section.Value is { } value && !Durations.TryParse(value, out _, out var error) ? [$"{section.Path}: {error}"] : [];
        if (type == typeof(string) || type.IsPrimitive || type.IsEnum || type.IsValueType)
            return [];
        if (ItemType(type) is { } item)
            return section.GetChildren().SelectMany(child => ErrorsIn(child, item));
        return type.IsClass ? Errors(section, type) : [];
    }

    /// <summary>A dictionary's value type, or a collection's element type; null for anything else.</summary>
    static Type? ItemType(Type type)
    {
        var interfaces = type.IsInterface ? [type, .. type.GetInterfaces()] : type.GetInterfaces();
        var dictionary = interfaces.FirstOrDefault(i => i.IsGenericType
            && (i.GetGenericTypeDefinition() == typeof(IDictionary<,>) || i.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>)));
        if (dictionary is not null)
            return dictionary.GetGenericArguments()[1];
        if (type.IsArray)
            return type.GetElementType();
        return interfaces.FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
    }
}
