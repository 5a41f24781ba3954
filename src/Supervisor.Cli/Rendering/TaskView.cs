using System.Text.Json;
using Spectre.Console;
using Supervisor.Cli.Api;
using Supervisor.Contracts;

namespace Supervisor.Cli.Rendering;

/// <summary>The parts of <c>show</c>: header, timeline, and outcome (result or error).</summary>
static class TaskView
{
    public static void Write(IAnsiConsole console, TaskDetail task, DateTimeOffset now)
    {
        WriteHeader(console, task, now);
        console.WriteLine();
        console.MarkupLine("[bold]TIMELINE[/]");
        Timeline.Write(console, task, now);
        WriteOutcome(console, task);
    }

    public static void WriteHeader(IAnsiConsole console, TaskDetail task, DateTimeOffset now)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        void Row(string name, string markup) => grid.AddRow($"[bold]{name}[/]", markup);

        Row("Task", Markup.Escape(task.Id.ToString()));
        Row("State", StateStyle.Markup(task.State));
        // A task queued on its key has reached its start time: the wait says what holds it now.
        if (StartsLater(task) is { } runAt && Waiting(task) is not { OnKey: true })
        {
            var left = runAt > now ? $"in {Format.Countdown(runAt - now)}" : $"due {Format.Age(runAt, now)} ago";
            Row("Runs at", $"{Format.Moment(runAt, now)} [dim]({left})[/]");
        }

        if (Waiting(task) is { } waiting)
        {
            Row("Waiting", Markup.Escape(LimitView.Wait(waiting, now)));
            if (waiting.Message is { Length: > 0 } message)
            {
                Row("", $"[dim]{Markup.Escape(message)}[/]");
            }
        }

        Row("Chain", Chain(task));
        if (task.Model is { Length: > 0 } model)
        {
            Row("Model", $"{Markup.Escape(model)} [dim](for {Markup.Escape(task.Agents is { Count: > 0 } agents ? agents[0] : "the first agent")})[/]");
        }

        if (task.Limits is { } limits && LimitView.Policy(limits.OnLimit, limits.MaxWait, limits.MaxWindows) is { } policy)
        {
            Row("On limit", Markup.Escape(policy));
        }

        if (task.Concurrency is { } concurrency && ConcurrencyView.Describe(concurrency.Key, concurrency.Limit, concurrency.Strategy) is { } key)
        {
            Row("Concurrency", Markup.Escape(key));
        }

        if (task.Budget is { } budget)
        {
            Row("Budget", TaskBudgetText.Markup(budget));
        }

        Row("Repository", Repository(task.Repository));
        if (task.Risk is { Length: > 0 } risk)
        {
            Row("Risk", Markup.Escape(risk));
        }

        if (task.Labels is { Count: > 0 } labels)
        {
            Row("Labels", Markup.Escape(string.Join(", ", labels.Select(l => $"{l.Key}={l.Value}"))));
        }

        if (task.TimeoutSeconds is { } timeout)
        {
            Row("Timeout", $"{timeout} s");
        }

        if (task.Verify is { Length: > 0 } verify)
        {
            Row("Verify", Markup.Escape(verify));
        }

        if (task.ExpectChanges)
        {
            Row("Expects", "changes");
        }

        var by = task.SubmittedBy is { Length: > 0 } submitter ? $" by {Markup.Escape(submitter)}" : "";
        Row("Created", $"{Format.Time(task.CreatedAt)}{by} [dim]({Format.Age(task.CreatedAt, now)} ago)[/]");
        if (task.FinishedAt is { } finished)
        {
            Row("Finished", $"{Format.Time(finished)} [dim](took {Format.Duration(finished - task.CreatedAt)})[/]");
        }
        else if (task.UpdatedAt is { } updated)
        {
            Row("Updated", $"{Format.Time(updated)} [dim]({Format.Age(updated, now)} ago)[/]");
        }

        Row("Prompt", Markup.Escape(task.Prompt ?? ""));
        console.Write(grid);
    }

    /// <summary>
    /// Where a task waits (a blocked account, or its full concurrency key); null when it does not, and for an ended task
    /// whatever a stale record says.
    /// </summary>
    public static TaskWaiting? Waiting(TaskDetail task) => StateStyle.IsTerminal(task.State) ? null : task.Waiting;

    /// <summary>When a delayed task that has not started yet will start; null for any other task.</summary>
    public static DateTimeOffset? StartsLater(TaskDetail task) => task.State == TaskStates.Submitted ? task.RunAt : null;

    /// <summary>The result of a successful task, or the error of a failed one, then the usage if any.</summary>
    public static void WriteOutcome(IAnsiConsole console, TaskDetail task)
    {
        if (task.Result is { } result)
        {
            console.WriteLine();
            console.MarkupLine("[bold green]RESULT[/]");
            WriteResult(console, result);
        }

        if (task.Error is { Length: > 0 } error)
        {
            console.WriteLine();
            console.MarkupLine($"[bold red]ERROR[/]  {Markup.Escape(error)}");
        }
        else if (task.Result is null && task.State == TaskStates.Failed && task.Attempts is { Count: > 0 } attempts)
        {
            // No task-level error recorded: the last attempt's failure is the best explanation there is.
            var last = attempts[^1];
            console.WriteLine();
            console.MarkupLine($"[bold red]ERROR[/]  {Markup.Escape($"{last.ErrorClass}: {last.Message}")}");
        }

        if (task.Usage is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } usage)
        {
            console.WriteLine();
            console.MarkupLine("[bold]USAGE[/]");
            WriteUsage(console, usage);
        }
    }

    static void WriteResult(IAnsiConsole console, TaskResult result)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        grid.AddRow("[bold]Agent[/]", Markup.Escape(result.Agent ?? ""));
        grid.AddRow("[bold]Branch[/]", Markup.Escape(result.Branch ?? "(none)"));
        if (result.Remote is { Length: > 0 } remote)
        {
            grid.AddRow("[bold]Pushed to[/]", Markup.Escape(remote));
        }

        if (result.Link is { Length: > 0 } link)
        {
            grid.AddRow("[bold]Compare[/]", $"[link]{Markup.Escape(link)}[/]");
        }

        if (result.PullRequest is { Length: > 0 } pullRequest)
        {
            grid.AddRow("[bold]Pull request[/]", $"[link]{Markup.Escape(pullRequest)}[/]");
        }

        grid.AddRow("[bold]Commit[/]", Markup.Escape(result.Commit ?? "(no changes)"));
        if (result.DiffStat is { Length: > 0 } diffStat)
        {
            grid.AddRow("[bold]Diff[/]", Markup.Escape(diffStat.TrimEnd()));
        }

        if (result.Summary is { Length: > 0 } summary)
        {
            grid.AddRow("[bold]Summary[/]", Markup.Escape(summary.TrimEnd()));
        }

        console.Write(grid);
    }

    // The usage document's shape belongs to the service (tokens, cost, duration...): show whatever it holds.
    static void WriteUsage(IAnsiConsole console, JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object)
        {
            console.MarkupLine(Markup.Escape(usage.GetRawText()));
            return;
        }

        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        foreach (var property in usage.EnumerateObject())
        {
            var value = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText();
            grid.AddRow($"[bold]{Markup.Escape(property.Name)}[/]", Markup.Escape(value ?? ""));
        }

        console.Write(grid);
    }

    static string Chain(TaskDetail task)
    {
        var agents = task.Agents ?? [];
        if (agents.Count == 0)
        {
            return task.CurrentAgent is { } only ? $"[bold][[{Markup.Escape(only)}]][/]" : "[dim](service default)[/]";
        }

        // The current agent is bracketed so it stands out without colour too.
        return string.Join(" → ", agents.Select(agent => agent == task.CurrentAgent
            ? $"[bold][[{Markup.Escape(agent)}]][/]"
            : Markup.Escape(agent)));
    }

    /// <summary>Where a task works: the path or URL, and the ref it starts from.</summary>
    public static string Repository(RepositorySpec? repository)
    {
        if (repository is null || (repository.Path is null && repository.Url is null))
        {
            return "[dim](none)[/]";
        }

        var where = Markup.Escape(repository.Path ?? repository.Url!);
        return repository.BaseRef is { Length: > 0 } baseRef ? $"{where} [dim]@[/] {Markup.Escape(baseRef)}" : where;
    }
}
