using Spectre.Console;
using Supervisor.Cli.Api;

namespace Supervisor.Cli.Rendering;

/// <summary>
/// A task's history in time order: the saga's transitions and the workers' attempts merged into one list, e.g.
/// <c>12:00:01.123  Submitted → Dispatched  (SubmitTask)</c> and
/// <c>12:00:05.000  attempt 2  flaky on host/w1  account flaky/3fa9c2d1e0b4  RateLimited: 429 Too Many Requests  1.2s  next try 12:01:05</c>.
/// </summary>
static class Timeline
{
    const int MessageWidth = 120;

    public static void Write(IAnsiConsole console, TaskDetail task, DateTimeOffset now)
    {
        var entries = new List<(DateTimeOffset At, string Markup)>();
        foreach (var transition in task.Transitions ?? [])
        {
            entries.Add((transition.At, Transition(transition)));
        }

        foreach (var attempt in task.Attempts ?? [])
        {
            if ((attempt.StartedAt ?? attempt.FinishedAt) is { } at)
            {
                entries.Add((at, Attempt(attempt, now)));
            }
        }

        if (entries.Count == 0)
        {
            console.MarkupLine("[dim]  (nothing recorded yet)[/]");
            return;
        }

        // OrderBy is stable: at equal times a transition stays before the attempt it led to.
        foreach (var (at, markup) in entries.OrderBy(e => e.At))
        {
            console.MarkupLine($"[dim]{Format.Time(at)}[/]  {markup}");
        }
    }

    public static string Transition(TransitionView transition)
    {
        var text = transition.From is null
            ? StateStyle.Markup(transition.To)
            : $"{StateStyle.Markup(transition.From)} → {StateStyle.Markup(transition.To)}";
        var who = transition.By is { Length: > 0 } by ? $" by {by}" + (transition.Reason is { Length: > 0 } why ? $": {why}" : "") : "";
        return transition.Event is { Length: > 0 } name ? $"{text}  [dim]({Markup.Escape(name + who)})[/]" : text;
    }

    public static string Attempt(AttemptView attempt, DateTimeOffset now)
    {
        var parts = new List<string> { $"attempt {attempt.Number}" };
        if (attempt.Pass > 1)
        {
            parts[0] += $" [dim](pass {attempt.Pass})[/]";
        }

        parts.Add(Markup.Escape(Where(attempt)));
        if (attempt.Model is { Length: > 0 } model)
        {
            parts.Add($"[dim]{Markup.Escape(model)}[/]");
        }

        if (attempt.Account is { Length: > 0 } account)
        {
            parts.Add($"[dim]account {Markup.Escape(account)}[/]");
        }

        if (attempt.ExitCode is { } exitCode)
        {
            parts.Add(exitCode == 0 ? "exit 0" : $"[red]exit {exitCode}[/]");
        }

        if (attempt.ErrorClass is { Length: > 0 } errorClass)
        {
            var message = Format.OneLine(attempt.Message, MessageWidth);
            parts.Add(message.Length > 0
                ? $"[red]{Markup.Escape(errorClass)}[/]: {Markup.Escape(message)}"
                : $"[red]{Markup.Escape(errorClass)}[/]");
        }

        if (attempt.StartedAt is { } started)
        {
            parts.Add(attempt.FinishedAt is { } finished
                ? Format.Duration(finished - started)
                : $"[yellow]running[/] {Format.Duration(now - started)}");
        }

        if (attempt.NextRetryAt is { } next)
        {
            parts.Add($"next try {Format.ShortTime(next)}");
        }

        return string.Join("  ", parts);
    }

    /// <summary><c>agent on host/worker</c>, leaving out what is unknown.</summary>
    public static string Where(AttemptView attempt)
    {
        var agent = attempt.Agent ?? "?";
        var place = (attempt.Host, attempt.Worker) switch
        {
            ({ Length: > 0 } host, { Length: > 0 } worker) => $"{host}/{worker}",
            (_, { Length: > 0 } worker) => worker,
            ({ Length: > 0 } host, _) => host,
            _ => null,
        };
        return place is null ? agent : $"{agent} on {place}";
    }
}
