using System.CommandLine;
using Supervisor.Cli.Api;
using Supervisor.Cli.Rendering;

namespace Supervisor.Cli.Commands;

/// <summary>
/// <c>supervisor schedule add PROMPT (--cron EXPR | --every DUR) ...</c> → <c>POST /api/schedules</c>. Only what is cheap
/// and certain is checked here (one of --cron and --every, the policies' names, the forms of durations and times); the
/// cron expression, the zone, the name and the ranges are the service's to judge, and its 400 names each field.
/// </summary>
static class ScheduleAddCommand
{
    public static readonly string[] OverlapPolicies = ["skip", "bufferOne", "allow", "cancelOther"];

    static readonly string[] CatchUpPolicies = ["each", "latest"];

    static readonly Argument<string> Prompt = TaskTemplateOptions.Prompt("What the agent should do at each fire");

    static readonly Option<string> Cron = new("--cron")
    {
        Description = "Fire on this cron expression in --tz: 5 fields (minute hour day month weekday), or 6 with seconds first",
        HelpName = "EXPR",
    };

    static readonly Option<TimeSpan?> Every = new("--every")
    {
        Description = "Fire at this interval instead (30s, 5m, 1h30m, 1d), counted from --start or else from the Unix epoch",
        HelpName = "DUR",
        CustomParser = Validation.Duration("--every"),
    };

    static readonly Option<string> TimeZone = new("--tz")
    {
        Description = "IANA time zone the cron expression is read in, e.g. Europe/Berlin (default UTC)",
        HelpName = "ZONE",
    };

    static readonly Option<string> Overlap = OverlapOption(
        "When a fire finds a task of the schedule still open: skip the fire (default), buffer one until the task ends, " +
        "allow another task, or cancel the open one and then start");

    static readonly Option<TimeSpan?> CatchUpWindow = new("--catch-up-window")
    {
        Description = "How late a fire missed while the service was down may still run (default 1m)",
        HelpName = "DUR",
        CustomParser = Validation.Duration("--catch-up-window"),
    };

    static readonly Option<string> CatchUp = new("--catch-up")
    {
        Description = "Of the missed fires inside the window, run each (default) or only the latest",
        HelpName = string.Join('|', CatchUpPolicies),
        CustomParser = Validation.OneOf("--catch-up", CatchUpPolicies),
    };

    static readonly Option<DateTimeOffset?> Start = new("--start")
    {
        Description = "No fire before this: a date-time with its offset (2026-12-05T10:00:00+01:00, …Z for UTC) or a delay (+1h)",
        HelpName = "TIME",
        CustomParser = Validation.Time("--start"),
    };

    static readonly Option<DateTimeOffset?> End = new("--end")
    {
        Description = "No fire after this, in the same forms as --start",
        HelpName = "TIME",
        CustomParser = Validation.Time("--end"),
    };

    static readonly Option<bool> Paused = new("--paused")
    {
        Description = "Add it paused: nothing fires until 'schedule resume'",
    };

    static readonly Option<string> Name = new("--name")
    {
        Description = "A unique name, usable wherever an ID is (letters, digits, '.', '_', '-', '/'; up to 63)",
        HelpName = "NAME",
    };

    static readonly Option<Guid?> Id = new("--id")
    {
        Description = "Schedule id to use (a GUID); adding the same definition under it again changes nothing",
        HelpName = "GUID",
        CustomParser = Validation.Id("--id"),
    };

    /// <summary>The <c>--overlap</c> option: a policy's name in any case, read as the API writes it.</summary>
    public static Option<string> OverlapOption(string description) => new("--overlap")
    {
        Description = description,
        HelpName = string.Join('|', OverlapPolicies),
        CustomParser = Validation.OneOf("--overlap", OverlapPolicies),
    };

    public static Command Create()
    {
        var command = new Command("add", "Add a schedule that submits a task on a cron expression or at an interval, and print its id");
        TaskTemplateOptions.AddTo(command, Prompt);
        foreach (var option in new Option[] { Cron, Every, TimeZone, Overlap, CatchUpWindow, CatchUp, Start, End, Paused, Name, Id })
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            if ((result.GetResult(Cron) is null) == (result.GetResult(Every) is null))
            {
                result.AddError("give either --cron EXPR or --every DUR (one of them, not both)");
            }
        });
        command.SetApiAction(RunAsync);
        return command.WithExamples(
            "supervisor schedule add --cron '0 3 * * *' --tz Europe/Berlin --overlap skip --agent claude 'Bump dependencies'",
            "supervisor schedule add --every 15m --agent shell --repo . --name smoke 'make smoke-test'",
            "id=$(supervisor schedule add --cron '0 9 * * 1-5' --agents claude,codex --repo . --label team=web 'Triage new issues')",
            "supervisor schedule add --every 1h --start 2026-12-05T08:00:00+01:00 --end +7d --paused --agent shell 'make report'");
    }

    static async Task<int> RunAsync(ParseResult parse, ApiClient api, CancellationToken ct)
    {
        var schedule = await api.CreateScheduleAsync(BuildRequest(parse), ct);
        if (parse.GetValue(GlobalOptions.Json))
        {
            Output.Json(schedule.Json);
        }
        else
        {
            // Alone on stdout so that scripts can capture it: id=$(supervisor schedule add ...).
            Output.RawLine(schedule.Value.Id.ToString());
        }

        return ExitCodes.Success;
    }

    internal static ScheduleRequest BuildRequest(ParseResult parse) => new(
        Id: parse.GetValue(Id),
        Name: parse.GetValue(Name),
        Cron: parse.GetValue(Cron),
        Every: StartTime.DurationText(parse.GetValue(Every)),
        TimeZone: parse.GetValue(TimeZone),
        Template: TaskTemplateOptions.Read(parse, Prompt),
        Overlap: parse.GetValue(Overlap),
        CatchUpWindow: StartTime.DurationText(parse.GetValue(CatchUpWindow)),
        CatchUp: parse.GetValue(CatchUp),
        StartAt: parse.GetValue(Start),
        EndAt: parse.GetValue(End),
        Paused: parse.GetValue(Paused) ? true : null);
}
