using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using Supervisor.Cli.Api;
using Supervisor.Contracts;

namespace Supervisor.Cli.Commands;

/// <summary>
/// What describes a task to run: its prompt, agents, what it does on a provider limit, its concurrency key, repository,
/// risk, time limit, verification and labels. Forms are checked here (a policy's name, a duration, a positive count);
/// ranges are the service's to judge, and its 400 names the field. <c>submit</c>
/// sends them as a task, <c>schedule add</c> as the template of every task the schedule makes.
/// </summary>
static partial class TaskTemplateOptions
{
    static readonly Option<string> Agent = new("--agent")
    {
        Description = "Run on this agent only (with --fallback: then on along its configured Fallback chain)",
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

    static readonly Option<bool> Fallback = new("--fallback")
    {
        Description = "With --agent: when that agent gives up, go on with its configured Fallback chain",
        Validators =
        {
            result =>
            {
                // A flag left out still has a (false) result to validate.
                if (!result.Implicit && result.GetResult(Agent) is null)
                {
                    result.AddError("--fallback needs --agent (an --agents list is the whole chain)");
                }
            },
        },
    };

    static readonly Option<string> Model = new("--model")
    {
        Description = "Model the first agent uses instead of its profile's default (agents that fall back use their own)",
        HelpName = "NAME",
        Validators = { result => RequireText(result, "--model needs a name") },
    };

    static readonly Option<string> OnLimit = new("--on-limit")
    {
        Description = "When the agent's account is blocked by a limit: wait (within --max-wait and --max-windows, then fall back) " +
            "or fall back at once (default: the agent's Limits:OnLimit)",
        HelpName = "wait|fallback",
        CustomParser = Validation.OneOf("--on-limit", "wait", "fallback"),
    };

    static readonly Option<TimeSpan?> MaxWait = new("--max-wait")
    {
        Description = "Longest wait on one agent's blocked account: 15m, 1h30m; 0s never waits (default: the agent's Limits:MaxWait)",
        HelpName = "DUR",
        CustomParser = Validation.Duration("--max-wait"),
    };

    static readonly Option<int?> MaxWindows = new("--max-windows")
    {
        Description = "Most usage windows or quota blocks of one agent's account to wait through (default: the agent's Limits:MaxWindows)",
        HelpName = "N",
        CustomParser = Validation.PositiveInt("--max-windows must be a positive number of blocks"),
    };

    static readonly Option<decimal?> MaxCost = new("--max-cost")
    {
        Description = "Most dollars the task's attempts may spend, summed over all of them (as the agents report cost)",
        HelpName = "USD",
        CustomParser = Validation.PositiveDecimal("--max-cost must be a positive number of dollars", Contracts.BudgetPolicies.MaxCostUsd),
    };

    static readonly Option<long?> MaxTokens = new("--max-tokens")
    {
        Description = "Most tokens (input and output) the task's attempts may use, summed",
        HelpName = "N",
        CustomParser = Validation.PositiveLong("--max-tokens must be a positive number of tokens", Contracts.BudgetPolicies.MaxTokens),
    };

    static readonly Option<string> OnBudget = new("--on-budget")
    {
        Description = "When --max-cost or --max-tokens is reached: stop (the task fails) or park (it is paused until the budget is " +
            "raised with `supervisor budget`); default stop",
        HelpName = "stop|park",
        CustomParser = Validation.OneOf("--on-budget", Contracts.BudgetPolicies.Stop, Contracts.BudgetPolicies.Park),
    };

    static readonly Option<string> ConcurrencyKey = new("--concurrency-key")
    {
        Description = "At most --concurrency-limit tasks with this key (a repository, say) run at once; one over it does what " +
            "--concurrency-strategy says",
        HelpName = "KEY",
        Validators = { result => RequireText(result, "--concurrency-key needs a key") },
    };

    static readonly Option<int?> ConcurrencyLimit = new("--concurrency-limit")
    {
        Description = "How many tasks of --concurrency-key may run at once (default 1)",
        HelpName = "N",
        CustomParser = Validation.PositiveInt("--concurrency-limit must be a positive number of tasks"),
        Validators = { result => RequireKey(result, "--concurrency-limit") },
    };

    static readonly Option<string> ConcurrencyStrategy = new("--concurrency-strategy")
    {
        Description = "When the key is full: queue behind the tasks under way (default), cancel the oldest of them, or drop this one",
        HelpName = "queue|cancel-running|drop-newest",
        CustomParser = Validation.ConcurrencyStrategy("--concurrency-strategy"),
        Validators = { result => RequireKey(result, "--concurrency-strategy") },
    };

    static readonly Option<string> Repo = new("--repo")
    {
        Description = "Repository to work in: a local path (made absolute here) or a clone URL",
        HelpName = "PATH",
        Validators = { result => RequireText(result, "--repo needs a path") },
    };

    static readonly Option<string> RepoUrl = new("--repo-url")
    {
        Description = "Remote repository to work on (https://, ssh://, user@host:path, git://, file:///); the result is pushed to it",
        HelpName = "URL",
        Validators =
        {
            result => RequireText(result, "--repo-url needs a URL"),
            result =>
            {
                if (result.GetResult(Repo) is not null)
                {
                    result.AddError("give --repo or --repo-url, not both");
                }
            },
        },
    };

    static readonly Option<string> PushTo = new("--push-to")
    {
        Description = "With a remote repository: the branch the result is pushed to (default: the attempt's own, supervisor/<task>/<attempt>)",
        HelpName = "BRANCH",
        Validators =
        {
            result => RequireText(result, "--push-to needs a branch"),
            result => RequireRemote(result, "--push-to"),
        },
    };

    static readonly Option<bool> OpenPr = new("--open-pr")
    {
        Description = "With --repo-url: open a pull request of the pushed branch into the base branch, through the forge API the workers have for the host",
        Validators = { result => RequireRemote(result, "--open-pr") },
    };

    static readonly Option<string> PrTitle = new("--pr-title")
    {
        Description = "The pull request's title (default: the first line of the agent's summary); needs --open-pr",
        HelpName = "TEXT",
        Validators =
        {
            result => RequireText(result, "--pr-title needs a title"),
            result =>
            {
                if (result.GetResult(OpenPr) is null or { Implicit: true })
                {
                    result.AddError("--pr-title needs --open-pr");
                }
            },
        },
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
                if (result.GetResult(Repo) is null && result.GetResult(RepoUrl) is null)
                {
                    result.AddError("--base-ref needs --repo or --repo-url");
                }
            },
        },
    };

    static readonly Option<string> Risk = new Option<string>("--risk")
    {
        Description = "Risk level; policy may require approval for it",
        HelpName = "low|medium|high",
    }.AcceptOnlyFromAmong("low", "medium", "high");

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

    /// <summary>The options, in the order help lists them.</summary>
    public static IReadOnlyList<Option> All { get; } =
        [Agent, Agents, Fallback, Model, OnLimit, MaxWait, MaxWindows, MaxCost, MaxTokens, OnBudget, ConcurrencyKey, ConcurrencyLimit, ConcurrencyStrategy,
        Repo, RepoUrl, BaseRef, PushTo, OpenPr, PrTitle, Risk, TimeoutSeconds, Verify, ExpectChanges, Labels];

    /// <summary>The <c>PROMPT</c> argument; <paramref name="description"/> says what it is to the command.</summary>
    public static Argument<string> Prompt(string description) => new("PROMPT")
    {
        Description = description,
        Validators = { result => RequireText(result, "PROMPT must not be empty") },
    };

    /// <summary>Adds <paramref name="prompt"/> and the options to <paramref name="command"/>.</summary>
    public static Command AddTo(Command command, Argument<string> prompt)
    {
        command.Arguments.Add(prompt);
        foreach (var option in All)
        {
            command.Options.Add(option);
        }

        return command;
    }

    /// <summary>The task as the command line describes it; what was not given is null, so that it is left out of the JSON.</summary>
    public static TaskTemplate Read(ParseResult parse, Argument<string> prompt)
    {
        var agents = parse.GetValue(Agents) is { } chain ? SplitChain(chain) : null;
        var labels = parse.GetValue(Labels) is { Length: > 0 } pairs
            ? pairs.Select(SplitLabel).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal)
            : null;
        return new TaskTemplate(
            Prompt: parse.GetRequiredValue(prompt),
            Agent: parse.GetValue(Agent)?.Trim(),
            Agents: agents,
            Fallback: parse.GetValue(Fallback) ? true : null,
            Model: parse.GetValue(Model)?.Trim(),
            OnLimit: parse.GetValue(OnLimit),
            MaxWait: StartTime.DurationText(parse.GetValue(MaxWait)),
            MaxWindows: parse.GetValue(MaxWindows),
            ConcurrencyKey: parse.GetValue(ConcurrencyKey),
            ConcurrencyLimit: parse.GetValue(ConcurrencyLimit),
            ConcurrencyStrategy: parse.GetValue(ConcurrencyStrategy),
            Repository: Repository(parse),
            Risk: parse.GetValue(Risk),
            TimeoutSeconds: parse.GetValue(TimeoutSeconds),
            Verify: parse.GetValue(Verify),
            ExpectChanges: parse.GetValue(ExpectChanges) ? true : null,
            Labels: labels,
            MaxCostUsd: parse.GetValue(MaxCost),
            MaxTokens: parse.GetValue(MaxTokens),
            OnBudget: parse.GetValue(OnBudget));
    }

    static RepositorySpec? Repository(ParseResult parse)
    {
        var (repo, repoUrl, baseRef) = (parse.GetValue(Repo), parse.GetValue(RepoUrl), parse.GetValue(BaseRef));
        // Clone URLs (https://…, ssh://…, git@host:owner/repo) given as --repo go as they are; anything else is a path on this machine.
        var url = repoUrl?.Trim() ?? (repo is not null && UrlLike().IsMatch(repo) ? repo : null);
        if (url is not null)
        {
            return new RepositorySpec(null, url, baseRef, parse.GetValue(PushTo), parse.GetValue(OpenPr), parse.GetValue(PrTitle));
        }

        return repo is null ? null : new RepositorySpec(Path.GetFullPath(repo), null, baseRef);
    }

    /// <summary><paramref name="option"/> is about the remote a task's result is pushed to: it needs one.</summary>
    static void RequireRemote(OptionResult result, string option)
    {
        // A flag not given still has its (implicit) result.
        if (result.Implicit)
        {
            return;
        }

        if (result.GetResult(RepoUrl) is null && !(result.GetResult(Repo)?.GetValueOrDefault<string>() is { } repo && UrlLike().IsMatch(repo)))
        {
            result.AddError($"{option} needs --repo-url");
        }
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

    static void RequireKey(OptionResult result, string option)
    {
        if (result.GetResult(ConcurrencyKey) is null)
        {
            result.AddError($"{option} needs --concurrency-key");
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
