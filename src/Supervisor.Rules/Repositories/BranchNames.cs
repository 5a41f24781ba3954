namespace Supervisor.Rules.Repositories;

/// <summary>Git's rules for a branch or tag name (<c>git check-ref-format --branch</c>), so that a bad one is refused at submit.</summary>
public static class BranchNames
{
    const string Forbidden = " ~^:?*[\\";

    /// <summary>Why <paramref name="name"/> is no valid ref name, for a message naming the field; null when it is one.</summary>
    public static string? Problem(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > 255)
            return "must be 1 to 255 characters.";
        if (name.StartsWith('-'))
            return "must not start with '-'.";
        if (name.Any(c => char.IsControl(c) || Forbidden.Contains(c)))
            return "must not contain spaces, control characters or any of ~^:?*[\\.";
        if (name == "@" || name.Contains("@{", StringComparison.Ordinal) || name.Contains("..", StringComparison.Ordinal) || name.Contains("//", StringComparison.Ordinal))
            return "must not be '@' or contain '@{', '..' or '//'.";
        if (name.StartsWith('/') || name.EndsWith('/') || name.EndsWith('.'))
            return "must not start or end with '/' or end with '.'.";
        if (name.Split('/').Any(part => part.StartsWith('.') || part.EndsWith(".lock", StringComparison.Ordinal)))
            return "must not have a part that starts with '.' or ends with '.lock'.";
        return null;
    }
}
