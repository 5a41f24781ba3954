namespace Supervisor.Settings;

/// <summary>
/// The key a setting had before it was renamed. A configuration that still uses the old key stops the process at start,
/// naming both keys, instead of having its value silently ignored.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class FormerlyNamedAttribute(string name, string hint) : Attribute
{
    /// <summary>The old key, relative to the options' section.</summary>
    public string Name { get; } = name;

    /// <summary>How to write the value under the new key, e.g. "a duration such as 30s".</summary>
    public string Hint { get; } = hint;
}
