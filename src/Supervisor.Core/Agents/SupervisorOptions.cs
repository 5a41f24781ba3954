using System.Text.RegularExpressions;

namespace Supervisor.Agents;

/// <summary>The <c>Supervisor</c> configuration section as far as both the service and the workers need it.</summary>
public sealed class SupervisorOptions : Supervisor.Settings.IValidatedOptions
{
    public const string Section = "Supervisor";

    /// <summary>Agent used when a task names none.</summary>
    public string DefaultAgent { get; set; } = "shell";

    public Dictionary<string, AgentOptions> Agents { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Failure class → patterns tried for every agent after the agent's own <c>ErrorPatterns</c>.</summary>
    public Dictionary<string, List<string>> DefaultErrorPatterns { get; set; } = new(StringComparer.Ordinal);

    public static readonly TimeSpan[] DefaultIntervals = [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(45)];

    public static readonly TimeSpan[] DefaultRateLimitIntervals = [TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(300)];

    /// <summary>Every configuration error, each naming its key; empty when the configuration is usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Agents.Count == 0)
            errors.Add("Supervisor:Agents: no agent is configured.");
        if (!Agents.ContainsKey(DefaultAgent))
            errors.Add($"Supervisor:DefaultAgent: '{DefaultAgent}' is not a configured agent.");

        foreach (var (name, agent) in Agents)
        {
            var key = $"Supervisor:Agents:{name}";
            if (!AgentCatalog.IsValidName(name))
                errors.Add($"{key}: the name must be lower-case letters, digits, '-' or '_' (it names the queue agent-{name}).");
            if (string.IsNullOrWhiteSpace(agent.Command))
                errors.Add($"{key}:Command: is required.");
            if (!IsolationModes.All.Contains(agent.Isolation, StringComparer.Ordinal))
                errors.Add($"{key}:Isolation: '{agent.Isolation}' is not one of {string.Join(", ", IsolationModes.All)}.");
            if (agent.Isolation == IsolationModes.Container && string.IsNullOrWhiteSpace(agent.Image))
                errors.Add($"{key}:Image: is required when Isolation is container.");
            errors.AddRange(agent.Container.Validate($"{key}:Container"));
            if (agent.TimeoutSeconds <= 0)
                errors.Add($"{key}:TimeoutSeconds: must be positive.");
            if (agent.IdleTimeoutSeconds is { } idle && (idle <= 0 || idle > agent.TimeoutSeconds))
                errors.Add($"{key}:IdleTimeoutSeconds: must be between 1 and the agent's TimeoutSeconds ({agent.TimeoutSeconds}); leave it unset for none.");
            if (agent.MemoryMb is not null && agent.Isolation == IsolationModes.Container)
                errors.Add($"{key}:MemoryMb: applies to worktree and none agents; a container agent's limit is {key}:Container:MemoryMb.");
            else if (agent.MemoryMb is < 16 or > 1024 * 1024)
                errors.Add($"{key}:MemoryMb: must be between 16 and 1048576; leave it unset for none.");
            if (agent.GiveUpAfterOwnRetries < 0)
                errors.Add($"{key}:GiveUpAfterOwnRetries: must not be negative (0: never).");
            if (agent.Concurrency is < 1 or > 256)
                errors.Add($"{key}:Concurrency: must be between 1 and 256.");
            if (agent.Fallback is { Length: > 0 } fallback && !Agents.ContainsKey(fallback))
                errors.Add($"{key}:Fallback: '{fallback}' is not a configured agent.");
            if (agent.Retry.Intervals.Concat(agent.Retry.RateLimitIntervals).Any(i => i < TimeSpan.Zero))
                errors.Add($"{key}:Retry: intervals must not be negative.");
            if (agent.Retry.Jitter is < 0 or > 1)
                errors.Add($"{key}:Retry:Jitter: must be between 0 and 1.");
            if (agent.Retry.MaxRetryAfter < TimeSpan.Zero)
                errors.Add($"{key}:Retry:MaxRetryAfter: must not be negative.");
            if (agent.Endpoint is { Length: > 0 } endpoint && !Uri.TryCreate(endpoint, UriKind.Absolute, out _))
                errors.Add($"{key}:Endpoint: '{endpoint}' is not an absolute URI.");
            errors.AddRange(agent.Limits.Validate($"{key}:Limits"));
            ValidateProfile(key, agent, errors);
            ValidatePatterns($"{key}:ErrorPatterns", agent.ErrorPatterns, errors);
        }

        ValidatePatterns("Supervisor:DefaultErrorPatterns", DefaultErrorPatterns, errors);
        return errors;
    }

    /// <summary>A placeholder with nothing to stand for, or files with nowhere safe to go, would only fail at the first attempt.</summary>
    static void ValidateProfile(string key, AgentOptions agent, List<string> errors)
    {
        if (!HomeModes.All.Contains(agent.Home, StringComparer.Ordinal))
            errors.Add($"{key}:Home: '{agent.Home}' is not one of {string.Join(", ", HomeModes.All)}.");
        if (agent.Files.Count > 0 && agent.Home != HomeModes.Attempt)
            errors.Add($"{key}:Files: files are written into the attempt's own HOME; set Home to 'attempt'.");
        foreach (var path in agent.Files.Keys.Where(p => Path.IsPathRooted(p) || p.Split('/', '\\').Contains("..")))
            errors.Add($"{key}:Files: '{path}' must be a relative path inside HOME.");

        var texts = agent.Args.Concat(agent.Env.Values).Concat(agent.Files.Values).ToList();
        if (string.IsNullOrWhiteSpace(agent.Endpoint) && texts.Any(t => t.Contains("{endpoint}", StringComparison.Ordinal)))
            errors.Add($"{key}:Endpoint: the profile uses {{endpoint}} but no Endpoint is set.");
        if (string.IsNullOrWhiteSpace(agent.Model) && agent.UsesModel)
            errors.Add($"{key}:Model: the profile uses {{model}} but no Model is set.");
        if (agent.Models.Count > 0 && !agent.UsesModel)
            errors.Add($"{key}:Models: the profile does not use {{model}}, so a task cannot choose one.");
        foreach (var model in agent.Models.Where(m => !AgentCatalog.IsValidModel(m)))
            errors.Add($"{key}:Models: '{model}' is not a model name (1-100 letters, digits and . _ : / @ -).");
    }

    static void ValidatePatterns(string key, Dictionary<string, List<string>> patternsByClass, List<string> errors)
    {
        foreach (var (errorClass, patterns) in patternsByClass)
        {
            if (!Contracts.ErrorClasses.All.Contains(errorClass, StringComparer.Ordinal))
                errors.Add($"{key}:{errorClass}: not a failure class ({string.Join(", ", Contracts.ErrorClasses.All)}).");
            foreach (var pattern in patterns)
            {
                try
                {
                    _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
                }
                catch (ArgumentException e)
                {
                    errors.Add($"{key}:{errorClass}: '{pattern}' is not a valid regular expression ({e.Message}).");
                }
            }
        }
    }
}
