namespace Supervisor.Cli.Rendering;

/// <summary>A task's concurrency key as <c>show</c> and <c>schedule show</c> say it. Plain text: callers escape it for markup.</summary>
static class ConcurrencyView
{
    /// <summary>
    /// <c>repo=web, limit 2, cancel-running</c>: the strategy as the command line spells it; the service's defaults (limit 1,
    /// queue) where a template left them; null without a key.
    /// </summary>
    public static string? Describe(string? key, int? limit, string? strategy) =>
        key is null ? null : $"{key}, limit {limit ?? 1}, {Kebab(strategy ?? "queue")}";

    /// <summary>The command line's name of a strategy: <c>cancelRunning</c> → <c>cancel-running</c>.</summary>
    static string Kebab(string name) =>
        string.Concat(name.Select(c => char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : c.ToString()));
}
