using System.CommandLine;
using Spectre.Console;
using Supervisor.Cli.Api;
using Supervisor.Cli.Rendering;

namespace Supervisor.Cli.Commands;

/// <summary>
/// <c>supervisor schedule add|list|show|tasks|pause|resume|trigger|delete</c> → <c>/api/schedules</c>: recurring tasks.
/// Every ID is a schedule's GUID, a unique prefix of it, or its name (<see cref="ScheduleIdArgument"/>).
/// </summary>
static class ScheduleCommand
{
    public static Command Create()
    {
        var command = new Command("schedule", "Run a task again and again: on a cron expression or at an interval")
        {
            ScheduleAddCommand.Create(),
            List(),
            Show(),
            Tasks(),
            Act("pause", "Pause a schedule: nothing fires until it is resumed (its open tasks run on)"),
            Act("resume", "Resume a paused schedule; the fires missed meanwhile follow its catch-up policy"),
            Trigger(),
            Delete(),
        };

        // Bare "supervisor schedule": show the subcommands, as a usage error.
        command.SetAction(parse =>
        {
            HelpExamples.WriteHelp(parse);
            return ExitCodes.Usage;
        });
        return command.WithExamples(
            "supervisor schedule add --cron '0 3 * * *' --tz Europe/Berlin --overlap skip --agent claude 'Bump dependencies'",
            "supervisor schedule list",
            "supervisor schedule show nightly-deps",
            "supervisor schedule trigger nightly-deps",
            "supervisor schedule pause 3f2a1b2c --reason 'release freeze'");
    }

    static Command List()
    {
        var limit = LimitOption("At most this many schedules (newest first; default 100, at most 1000)");
        var command = new Command("list", "List schedules: when they fire, their state, last and next fire, open tasks") { limit };
        command.SetApiAction(async (parse, api, ct) =>
        {
            var schedules = await api.ListSchedulesAsync(parse.GetValue(limit), ct);
            if (parse.GetValue(GlobalOptions.Json))
            {
                Output.Json(schedules.Json);
            }
            else
            {
                ScheduleTable.Write(Output.Human, schedules.Value, DateTimeOffset.UtcNow);
            }

            return ExitCodes.Success;
        });
        return command.WithExamples("supervisor schedule list", "supervisor schedule list --json");
    }

    static Command Show()
    {
        var id = ScheduleIdArgument.Create();
        var fires = LimitOption("Show at most this many recent fires (the service keeps the last 20)", "--fires");
        var command = new Command("show", "Show a schedule: when it fires, its policies and state, the task it makes, its recent fires")
        {
            id, fires,
        };
        command.SetApiAction(async (parse, api, ct) =>
        {
            var schedule = await api.GetScheduleAsync(await ScheduleIdArgument.ResolveAsync(api, parse.GetRequiredValue(id), ct), ct);
            if (parse.GetValue(GlobalOptions.Json))
            {
                Output.Json(schedule.Json);
            }
            else
            {
                ScheduleView.Write(Output.Human, schedule.Value, DateTimeOffset.UtcNow, parse.GetValue(fires));
            }

            return ExitCodes.Success;
        });
        return command.WithExamples("supervisor schedule show nightly-deps", "supervisor schedule show 3f2a1b2c --fires 5 --json");
    }

    static Command Tasks()
    {
        var id = ScheduleIdArgument.Create();
        var limit = LimitOption("At most this many tasks (newest first)");
        var command = new Command("tasks", "List the tasks a schedule made (labelled schedule and scheduledFor)") { id, limit };
        command.SetApiAction(async (parse, api, ct) =>
        {
            var scheduleId = await ScheduleIdArgument.ResolveAsync(api, parse.GetRequiredValue(id), ct);
            var tasks = await api.ListScheduleTasksAsync(scheduleId, parse.GetValue(limit), ct);
            if (parse.GetValue(GlobalOptions.Json))
            {
                Output.Json(tasks.Json);
            }
            else
            {
                TaskTable.Write(Output.Human, tasks.Value, DateTimeOffset.UtcNow);
            }

            return ExitCodes.Success;
        });
        return command.WithExamples("supervisor schedule tasks nightly-deps --limit 10");
    }

    static Command Act(string verb, string description)
    {
        var id = ScheduleIdArgument.Create();
        var reason = new Option<string>("--reason") { Description = "Why; recorded with the schedule", HelpName = "TEXT" };
        var command = new Command(verb, description) { id, reason };
        command.SetApiAction(async (parse, api, ct) =>
        {
            var scheduleId = await ScheduleIdArgument.ResolveAsync(api, parse.GetRequiredValue(id), ct);
            var request = new ScheduleActionRequest(parse.GetValue(reason));
            var schedule = await api.ActOnScheduleAsync(scheduleId, verb, request, ct);
            if (parse.GetValue(GlobalOptions.Json))
            {
                Output.Json(schedule.Json);
            }
            else
            {
                Output.Human.MarkupLine($"{Markup.Escape(schedule.Value.Id.ToString())}: {ScheduleView.StateLine(schedule.Value)}");
            }

            return ExitCodes.Success;
        });
        return command.WithExamples($"supervisor schedule {verb} nightly-deps --reason 'release freeze'");
    }

    static Command Trigger()
    {
        var id = ScheduleIdArgument.Create();
        var overlap = ScheduleAddCommand.OverlapOption("The overlap policy for this fire only (default: the schedule's)");
        var command = new Command("trigger", "Fire a schedule now, paused or not, as its overlap policy (or --overlap) allows")
        {
            id, overlap,
        };
        command.SetApiAction(async (parse, api, ct) =>
        {
            var scheduleId = await ScheduleIdArgument.ResolveAsync(api, parse.GetRequiredValue(id), ct);
            var outcome = await api.TriggerScheduleAsync(scheduleId, new TriggerRequest(Id: null, parse.GetValue(overlap)), ct);
            if (parse.GetValue(GlobalOptions.Json))
            {
                Output.Json(outcome.Json);
            }
            else
            {
                Output.Human.MarkupLine(Markup.Escape(Fired(outcome.Value)));
            }

            return ExitCodes.Success;
        });
        return command.WithExamples("supervisor schedule trigger nightly-deps", "supervisor schedule trigger 3f2a1b2c --overlap allow");
    }

    static Command Delete()
    {
        var id = ScheduleIdArgument.Create();
        var command = new Command("delete", "Delete a schedule; the tasks it made run on") { id };
        command.SetApiAction(async (parse, api, ct) =>
        {
            var scheduleId = await ScheduleIdArgument.ResolveAsync(api, parse.GetRequiredValue(id), ct);
            await api.DeleteScheduleAsync(scheduleId, ct);

            // The API answers 204 without a body: with --json there is nothing to print.
            if (!parse.GetValue(GlobalOptions.Json))
            {
                Output.Human.MarkupLine($"deleted {scheduleId}");
            }

            return ExitCodes.Success;
        });
        return command.WithExamples("supervisor schedule delete nightly-deps");
    }

    /// <summary>
    /// What a trigger did, in one line: <c>fired: submitted task …</c>, <c>fired: buffered …</c> or <c>skipped: …</c>.
    /// </summary>
    internal static string Fired(TriggerOutcome outcome)
    {
        var task = outcome.TaskId is { } taskId ? $" task {taskId}" : "";
        var reason = outcome.Reason is { Length: > 0 } why ? $" ({why})" : "";
        return outcome.Outcome switch
        {
            "submitted" => $"fired: submitted{task}",
            "buffered" => $"fired: buffered{task}, to start when the schedule's open task has ended{reason}",
            "skipped" => $"skipped: {outcome.Reason ?? "no reason given"}",
            _ => $"{outcome.Outcome}{task}{reason}",
        };
    }

    static Option<int?> LimitOption(string description, string name = "--limit") => new(name)
    {
        Description = description,
        HelpName = "N",
        CustomParser = Validation.PositiveInt($"{name} must be a positive number"),
    };
}
