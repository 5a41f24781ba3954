using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using Spectre.Console;
using Supervisor.Cli.Api;
using Supervisor.Cli.Rendering;
using Supervisor.Contracts;

namespace Supervisor.Cli.Commands;

/// <summary><c>supervisor submit PROMPT ...</c> → <c>POST /api/tasks</c>, optionally waiting for the outcome.</summary>
static partial class SubmitCommand
{
    static readonly Argument<string> Prompt = new("PROMPT")
    {
        Description = "What the agent should do (for the shell agent: the command line to run)",
        Validators = { result => RequireText(result, "PROMPT must not be empty") },
    };

    static readonly Option<string> Agent = new("--agent")
    {
        Description = "Run on this agent only",
        HelpName = "NAME",
        Validators = { result => RequireText(result, "--agent needs a name") },
    };

    static readonly Option<string> Agents = new("--agents")
    {
        Description = "Agent chain, comma-separated: the next one takes over when one gives up",
        HelpName = "a,b,c",
        Validators =
        {
            ValidateChain,
            result =>
            {
                if (result.GetResult(Agent) is not null)
                {
                    result.AddError("use either --agent or --agents, not both");
                }
            },
        },
    };

    static readonly Option<string> Repo = new("--repo")
    {
        Description = "Repository to work in: a local path (made absolute here) or a clone URL",
        HelpName = "PATH",
        Validators = { result => RequireText(result, "--repo needs a path") },
    };

    static readonly Option<string> BaseRef = new("--base-ref")
    {
        Description = "Branch, tag or commit to start from (default: the repository's HEAD)",
        HelpName = "REF",
        Validators =
        {
            result => RequireText(result, "--base-ref needs a ref"),
            result =>
            {
                if (result.GetResult(Repo) is null)
                {
                    result.AddError("--base-ref needs --repo");
                }
            },
        },
    };

    static readonly Option<string> Risk = new("--risk")
    {
        Description = "Risk level; policy may require approval for it",
        HelpName = "low|medium|high",
    };

    static readonly Option<int?> TimeoutSeconds = new("--timeout")
    {
        Description = "Time limit for each attempt, in seconds",
        HelpName = "SECONDS",
        CustomParser = Validation.PositiveInt("--timeout must be a positive number of seconds"),
    };

    static readonly Option<string> Verify = new("--verify")
    {
        Description = "Command run in the workspace after the agent; a non-zero exit fails the attempt",
        HelpName = "CMD",
    };

    static readonly Option<bool> ExpectChanges = new("--expect-changes")
    {
        Description = "Fail the attempt if the agent leaves no changes",
    };

    static readonly Option<string[]> Labels = new("--label")
    {
        Description = "Label the task (repeatable)",
        HelpName = "k=v",
        Validators = { ValidateLabels },
    };

    static readonly Option<string> Id = new("--id")
    {
        Description = "Task id to use (a GUID); submitting the same id twice runs the task once",
        HelpName = "GUID",
        Validators =
        {
            result =>
            {
                if (!Guid.TryParse(result.GetValueOrDefault<string>(), out _))
                {
                    result.AddError($"--id '{result.GetValueOrDefault<string>()}' is not a GUID");
                }
            },
        },
    };

    static readonly Option<DateTimeOffset?> At = new("--at")
    {
        Description = "Start the task later: at a date-time with its offset (2026-12-05T10:00:00+01:00, …Z for UTC) " +
            "or after a delay (+30s, +1h30m, +2d); it waits as Submitted until then",
        HelpName = "TIME",
        CustomParser = Validation.Time("--at"),
    };

    static readonly Option<bool> Wait = new("--wait")
    {
        Description = "Follow the task until it ends; exit 0 only if it succeeded (Ctrl+C stops waiting, not the task)",
    };

    public static Command Create()
    {
        Risk.AcceptOnlyFromAmong("low", "medium", "high");

        var command = new Command("submit", "Submit a task and print its id")
        {
            Prompt, Agent, Agents, Repo, BaseRef, Risk, TimeoutSeconds, Verify, ExpectChanges, Labels, Id, At, Wait,
        };
        command.SetApiAction(RunAsync);
        return command.WithExamples(
            "supervisor submit 'echo hello' --agent shell --wait",
            "id=$(supervisor submit 'Fix the flaky test in tests/Api' --agents claude,codex --repo . --label ticket=42)",
            "supervisor submit 'make nightly' --agent shell --repo . --at +1h30m",
            "supervisor submit 'Upgrade the dependencies' --agent claude --repo . --at 2026-12-05T10:00:00+01:00");
    }

    static async Task<int> RunAsync(ParseResult parse, ApiClient api, CancellationToken ct)
    {
        var json = parse.GetValue(GlobalOptions.Json);
        var accepted = await api.SubmitAsync(BuildRequest(parse), ct);
        var id = accepted.Value.Id;

        if (!parse.GetValue(Wait))
        {
            if (json)
            {
                Output.Json(accepted.Json);
            }
            else
            {
                // Alone on stdout so that scripts can capture it: id=$(supervisor submit ...).
                Output.RawLine(id.ToString());
            }

            return ExitCodes.Success;
        }

        // With --json, stdout carries only the final task document; progress goes to stderr.
        var progress = json ? Output.Error : Output.Human;
        progress.MarkupLine($"Submitted task [bold]{id}[/]");
        var waited = await TaskWaiter.WaitAsync(api, id, progress, ct);
        if (waited is null)
        {
            return ExitCodes.Interrupted;
        }

        if (json)
        {
            Output.Json(waited.Json);
        }
        else
        {
            TaskView.WriteOutcome(Output.Human, waited.Value);
        }

        return waited.Value.State == TaskStates.Succeeded ? ExitCodes.Success : ExitCodes.Failure;
    }

    internal static SubmitRequest BuildRequest(ParseResult parse)
    {
        var agents = parse.GetValue(Agents) is { } chain ? SplitChain(chain) : null;
        var labels = parse.GetValue(Labels) is { Length: > 0 } pairs
            ? pairs.Select(SplitLabel).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal)
            : null;
        return new SubmitRequest(
            Id: parse.GetValue(Id) is { } id ? Guid.Parse(id) : null,
            Prompt: parse.GetRequiredValue(Prompt),
            Agent: parse.GetValue(Agent)?.Trim(),
            Agents: agents,
            Repository: Repository(parse.GetValue(Repo), parse.GetValue(BaseRef)),
            Risk: parse.GetValue(Risk),
            TimeoutSeconds: parse.GetValue(TimeoutSeconds),
            Verify: parse.GetValue(Verify),
            ExpectChanges: parse.GetValue(ExpectChanges) ? true : null,
            Labels: labels,
            RunAt: parse.GetValue(At));
    }

    static RepositorySpec? Repository(string? repo, string? baseRef)
    {
        if (repo is null)
        {
            return null;
        }

        // Clone URLs (https://…, ssh://…, git@host:owner/repo) go as they are; anything else is a path on this machine.
        return UrlLike().IsMatch(repo)
            ? new RepositorySpec(Path: null, Url: repo, BaseRef: baseRef)
            : new RepositorySpec(Path: Path.GetFullPath(repo), Url: null, BaseRef: baseRef);
    }

    static List<string> SplitChain(string chain) =>
        chain.Split(',', StringSplitOptions.TrimEntries).ToList();

    static KeyValuePair<string, string> SplitLabel(string pair)
    {
        var equals = pair.IndexOf('=', StringComparison.Ordinal);
        return new(pair[..equals].Trim(), pair[(equals + 1)..]);
    }

    static void ValidateChain(OptionResult result)
    {
        var agents = SplitChain(result.GetValueOrDefault<string>() ?? "");
        if (agents.Any(a => a.Length == 0))
        {
            result.AddError("--agents must be agent names separated by commas, e.g. --agents claude,codex,shell");
        }
        else if (agents.Distinct(StringComparer.Ordinal).Count() != agents.Count)
        {
            result.AddError("--agents names an agent twice; a chain never runs an agent again");
        }
    }

    static void ValidateLabels(OptionResult result)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pair in result.GetValueOrDefault<string[]>() ?? [])
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || pair[..equals].Trim().Length == 0)
            {
                result.AddError($"--label '{pair}' is not in k=v form, e.g. --label ticket=42");
            }
            else if (!seen.Add(pair[..equals].Trim()))
            {
                result.AddError($"--label '{pair[..equals].Trim()}' is given twice");
            }
        }
    }

    static void RequireText(SymbolResult result, string message)
    {
        var value = result switch
        {
            ArgumentResult argument => argument.GetValueOrDefault<string>(),
            OptionResult option => option.GetValueOrDefault<string>(),
            _ => null,
        };
        if (string.IsNullOrWhiteSpace(value))
        {
            result.AddError(message);
        }
    }

    [GeneratedRegex(@"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|[^/\\:@\s]+@[^/\\:\s]+:)", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex UrlLike();
}
