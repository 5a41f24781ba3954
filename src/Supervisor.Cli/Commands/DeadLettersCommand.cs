using System.CommandLine;
using Spectre.Console;
using Supervisor.Cli.Api;
using Supervisor.Cli.Rendering;

namespace Supervisor.Cli.Commands;

/// <summary>
/// <c>supervisor dead-letters [list|redrive|purge]</c> → <c>GET /api/dead-letters</c>, <c>POST /api/dead-letters/redrive</c>
/// and <c>/purge</c>: what reached an error or skipped queue, put back where it came from, or deleted.
/// </summary>
static class DeadLettersCommand
{
    public static Command Create()
    {
        // Bare "dead-letters" lists, with the same options as "dead-letters list".
        var queue = QueueOption(required: false);
        var limit = LimitOption();
        var command = new Command("dead-letters", "List, redrive or purge messages that reached an error or skipped queue")
        {
            queue,
            limit,
            List(),
            Act("redrive", "Move dead letters back to the queue they came from (body and headers unchanged)", ApiRoutes.RedriveDeadLetters),
            Act("purge", "Delete dead letters", ApiRoutes.PurgeDeadLetters),
        };
        command.SetApiAction((parse, api, ct) => ListAsync(parse, api, queue, limit, ct));
        return command.WithExamples(
            "supervisor dead-letters",
            "supervisor dead-letters list --queue task-state_error --limit 50 --json",
            "supervisor dead-letters redrive --queue task-state_error --all",
            "supervisor dead-letters purge --queue agent-shell_error --id 0b5e0000-ab12-0015-08dd-4b0f9c1e2d3a");
    }

    static Command List()
    {
        var queue = QueueOption(required: false);
        var limit = LimitOption();
        var command = new Command("list", "List the error and skipped queues with their counts and first messages (the default)") { queue, limit };
        command.SetApiAction((parse, api, ct) => ListAsync(parse, api, queue, limit, ct));
        return command;
    }

    static async Task<int> ListAsync(ParseResult parse, ApiClient api, Option<string> queueOption, Option<int?> limitOption, CancellationToken ct)
    {
        var queues = await api.ListDeadLettersAsync(parse.GetValue(queueOption), parse.GetValue(limitOption), ct);
        if (parse.GetValue(GlobalOptions.Json))
        {
            Output.Json(queues.Json);
            return ExitCodes.Success;
        }

        if (queues.Value.Count == 0)
        {
            Output.Human.MarkupLine("[dim]no error or skipped queue exists: nothing was dead-lettered[/]");
        }

        foreach (var q in queues.Value)
        {
            var colour = q.Count == 0 ? "dim" : "yellow";
            Output.Human.MarkupLine($"[{colour}]{Markup.Escape(q.Queue)}[/]: {q.Count} message(s) (from {Markup.Escape(q.Source)})");
            foreach (var m in q.Messages)
            {
                var task = m.TaskId is { } id ? $" task {id}" : "";
                var at = m.FaultedAt is { } t ? $" at {t.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z" : "";
                Output.Human.MarkupLine($"  {Markup.Escape(m.MessageId ?? "(no id)")}  {Markup.Escape(m.Type ?? "?")}{Markup.Escape(task)}{at}");
                if (m.Exception is { } exception)
                {
                    Output.Human.MarkupLine($"    [dim]{Markup.Escape(exception.Split('\n')[0])}[/]");
                }
            }

            if (q.Count > q.Messages.Count)
            {
                Output.Human.MarkupLine($"  [dim]… {q.Count - q.Messages.Count} more (--limit)[/]");
            }
        }

        return ExitCodes.Success;
    }

    static Command Act(string verb, string description, ApiRoute route)
    {
        var queue = QueueOption(required: true);
        var id = new Option<string>("--id") { Description = "Only the message with this message id", HelpName = "MESSAGE-ID" };
        var all = new Option<bool>("--all") { Description = "Every message of the queue" };
        var command = new Command(verb, description) { queue, id, all };
        command.SetApiAction(async (parse, api, ct) =>
        {
            var messageId = parse.GetValue(id);
            var everything = parse.GetValue(all);
            if ((messageId is null) == !everything)
            {
                throw new UsageException($"dead-letters {verb}: give either --id MESSAGE-ID or --all");
            }

            var outcome = await api.ActOnDeadLettersAsync(route, new DeadLetterRequest(parse.GetRequiredValue(queue), messageId, everything ? true : null), ct);
            if (parse.GetValue(GlobalOptions.Json))
            {
                Output.Json(outcome.Json);
            }
            else if (outcome.Value.Redriven is { } redriven)
            {
                Output.Human.MarkupLine($"{redriven} message(s) moved from {Markup.Escape(outcome.Value.Queue)} back to {Markup.Escape(outcome.Value.Source ?? "?")}");
            }
            else
            {
                Output.Human.MarkupLine($"{outcome.Value.Purged ?? 0} message(s) deleted from {Markup.Escape(outcome.Value.Queue)}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    static Option<string> QueueOption(bool required) => new("--queue")
    {
        Description = "An error or skipped queue, e.g. task-state_error or agent-shell_error",
        HelpName = "QUEUE",
        Required = required,
    };

    static Option<int?> LimitOption() => new("--limit")
    {
        Description = "At most this many messages per queue (default 10)",
        HelpName = "N",
        CustomParser = Validation.PositiveInt("--limit must be a positive number"),
    };
}
