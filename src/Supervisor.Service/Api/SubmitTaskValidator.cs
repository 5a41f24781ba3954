using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Hosting;
using Supervisor.Paths;
using Supervisor.Rules.Limits;
using Supervisor.Rules.Repositories;
using Supervisor.Settings;

namespace Supervisor.Service.Api;

/// <summary>Checks a submission completely before anything is created; every error names its field.</summary>
public sealed partial class SubmitTaskValidator(
    AgentCatalog catalog, IOptions<ApiOptions> options, IOptions<GitOptions> gitOptions, IOptions<BrokerOptions> broker, GitProbe git, TimeProvider clock)
{
    static readonly string[] RiskLevels = ["low", "medium", "high"];

    /// <summary>A runAt this little in the past (the client's clock behind the service's) means at once.</summary>
    static readonly TimeSpan RunAtSkew = TimeSpan.FromMinutes(1);

    readonly ApiOptions _options = options.Value;
    readonly GitOptions _git = gitOptions.Value;

    public async Task<Dictionary<string, string[]>> ValidateAsync(SubmitTaskRequest request, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Add(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field, []), message];

        if (string.IsNullOrWhiteSpace(request.Prompt))
            Add("prompt", "is required and must not be empty.");
        else if (request.Prompt.Length > _options.MaxPromptChars)
            Add("prompt", $"is {request.Prompt.Length} characters; the limit is {_options.MaxPromptChars}.");

        if (request.Id == Guid.Empty)
            Add("id", "must not be the empty GUID.");

        if (request.Agent is not null && request.Agents is not null)
        {
            Add("agents", "give either 'agent' or 'agents', not both.");
        }
        else
        {
            var field = request.Agents is not null ? "agents" : "agent";
            var requested = Chain(request);
            if (request.Agents is { Length: 0 })
                Add("agents", "must name at least one agent.");
            else if (requested?.FirstOrDefault(a => string.IsNullOrWhiteSpace(a)) is not null)
                Add(field, "agent names must not be empty.");
            // A fallback with several agents is its own error (below); the chain is read without it.
            else if (catalog.ResolveChain(requested, request.Agents is { Length: > 1 } ? null : request.Fallback) is { Error: { } error })
                Add(field, error + ".");
            else if (request.Model is { } model && ModelError(model, requested?[0] ?? catalog.DefaultAgent) is { } modelError)
                Add("model", modelError);
            if (request.Fallback == true && request.Agents is { Length: > 1 })
                Add("fallback", "applies to a single agent ('agent'); an 'agents' list is the whole chain.");
        }

        if (request.Risk is not null && !RiskLevels.Contains(request.Risk))
            Add("risk", $"'{request.Risk}' is not one of {string.Join(", ", RiskLevels)}.");
        if (request.TimeoutSeconds is < 1 or > 7 * 24 * 3600)
            Add("timeoutSeconds", "must be between 1 and 604800.");
        if (request.TimeoutSeconds is { } timeout and >= 1 && TimeSpan.FromSeconds(timeout) > broker.Value.LongestAttemptTimeout)
        {
            Add("timeoutSeconds", $"{timeout} is above {(long)broker.Value.LongestAttemptTimeout.TotalSeconds}, the longest the broker lets an attempt run "
                + $"(its consumer_timeout, {BrokerOptions.Section}:ConsumerTimeout = {broker.Value.ConsumerTimeout}, must hold the agent and its verify "
                + "command, each up to the timeout); the broker would cut a longer attempt off.");
        }
        if (request.Verify is { Length: > 8192 })
            Add("verify", "must be at most 8192 characters.");
        if (request.OnLimit is not null && LimitNames.OnLimitOrNull(request.OnLimit) is null)
            Add("onLimit", $"'{request.OnLimit}' is not one of wait, fallback.");
        if (request.MaxWait is not null && !TryParseMaxWait(request.MaxWait, out _, out var maxWaitError))
            Add("maxWait", maxWaitError);
        if (request.MaxWindows is < 1 or > LimitBounds.MaxWindows)
            Add("maxWindows", $"{request.MaxWindows} is not between 1 and {LimitBounds.MaxWindows}.");
        ValidateConcurrency(request, Add);
        ValidateBudget(request.MaxCostUsd, request.MaxTokens, Add);
        if (request.OnBudget is not null && !BudgetPolicies.All.Contains(request.OnBudget, StringComparer.Ordinal))
            Add("onBudget", $"'{request.OnBudget}' is not one of {string.Join(", ", BudgetPolicies.All)}.");

        if (request.Labels is { } labels)
        {
            if (labels.Count > _options.MaxLabels)
                Add("labels", $"has {labels.Count} entries; the limit is {_options.MaxLabels}.");
            foreach (var (key, value) in labels)
            {
                if (!IsLabelKey(key))
                    Add($"labels.{key}", "keys are 1-63 characters of letters, digits, '.', '_', '-' or '/'.");
                if (value is null || value.Length > 256)
                    Add($"labels.{key}", "values are at most 256 characters.");
            }
        }

        if (request.RunAt is not null)
        {
            var now = clock.GetUtcNow();
            if (!TryParseRunAt(request.RunAt, out var runAt))
                Add("runAt", NotAnIsoTime(request.RunAt));
            else if (runAt < now - RunAtSkew)
                Add("runAt", $"{Utc(runAt)} is in the past (it is {Utc(now)} now).");
            else if (runAt > now + _options.MaxRunAtAhead)
                Add("runAt", $"{Utc(runAt)} is further ahead than {ApiOptions.Section}:MaxRunAtAhead ({_options.MaxRunAtAhead}) allows (it is {Utc(now)} now).");
        }

        if (request.Repository is { } repository)
            await ValidateRepositoryAsync(repository, Add, cancellationToken);

        return errors;
    }

    static void ValidateConcurrency(SubmitTaskRequest request, Action<string, string> add)
    {
        if (request.ConcurrencyKey is { } key && (string.IsNullOrWhiteSpace(key) || key.Length > ConcurrencyStrategies.MaxKeyLength))
        {
            add("concurrencyKey", string.IsNullOrWhiteSpace(key)
                ? "must not be blank."
                : $"is {key.Length} characters; the limit is {ConcurrencyStrategies.MaxKeyLength}.");
        }
        if (request.ConcurrencyLimit is < 1 or > ConcurrencyStrategies.MaxLimit)
            add("concurrencyLimit", $"{request.ConcurrencyLimit} is not between 1 and {ConcurrencyStrategies.MaxLimit}.");
        else if (request.ConcurrencyLimit is not null && request.ConcurrencyKey is null)
            add("concurrencyLimit", "needs a concurrencyKey: it limits the tasks of that key.");
        if (request.ConcurrencyStrategy is { } strategy && !ConcurrencyStrategies.All.Contains(strategy, StringComparer.Ordinal))
            add("concurrencyStrategy", $"'{strategy}' is not one of {string.Join(", ", ConcurrencyStrategies.All)}.");
        else if (request.ConcurrencyStrategy is not null && request.ConcurrencyKey is null)
            add("concurrencyStrategy", "needs a concurrencyKey: it says what a task does when its key is full.");
    }

    /// <summary>Why <paramref name="model"/> cannot be asked of <paramref name="agent"/> (the chain's first), or null when it can.</summary>
    string? ModelError(string model, string agent)
    {
        var profile = catalog.Get(agent);
        if (!profile.UsesModel)
            return $"agent '{agent}' takes no model: its profile does not use {{model}}.";
        if (!AgentCatalog.IsValidModel(model))
            return $"'{model}' is not a model name: 1-100 letters, digits and . _ : / @ -, starting with a letter or digit.";
        if (profile.Models.Count > 0 && !profile.Models.Contains(model, StringComparer.Ordinal))
            return $"'{model}' is not one of agent '{agent}''s models: {string.Join(", ", profile.Models)}.";
        return null;
    }

    /// <summary>A task's budget bounds, wherever they are given (submit, a budget change): <paramref name="add"/> names each field that is wrong.</summary>
    public static void ValidateBudget(decimal? maxCostUsd, long? maxTokens, Action<string, string> add)
    {
        if (maxCostUsd is <= 0 or > BudgetPolicies.MaxCostUsd)
            add("maxCostUsd", $"{maxCostUsd} is not above 0 and at most {BudgetPolicies.MaxCostUsd}.");
        if (maxTokens is <= 0 or > BudgetPolicies.MaxTokens)
            add("maxTokens", $"{maxTokens} is not between 1 and {BudgetPolicies.MaxTokens}.");
    }

    /// <summary>Whether <paramref name="key"/> is a valid label key (also the rule of a schedule's name).</summary>
    public static bool IsLabelKey(string key) => LabelKey().IsMatch(key);

    /// <summary>What a time that <see cref="TryParseRunAt"/> does not read is told.</summary>
    public static string NotAnIsoTime(string text) =>
        $"'{text}' is not an ISO 8601 time with an offset; write it as 2026-12-05T10:00:00Z or 2026-12-05T11:00:00+01:00.";

    /// <summary>Reads a runAt: an ISO 8601 date and time with an offset (<c>Z</c> or <c>±hh:mm</c>); a time without one is refused.</summary>
    public static bool TryParseRunAt(string text, out DateTimeOffset value)
    {
        value = default;
        return IsoTimeWithOffset().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }

    /// <summary>
    /// Reads a maxWait: a duration as every duration setting is written (<see cref="Durations"/>), from 0s to
    /// <see cref="LimitBounds.MaxWait"/>; on failure <paramref name="error"/> says why.
    /// </summary>
    public static bool TryParseMaxWait(string text, out TimeSpan value, out string error)
    {
        if (!Durations.TryParse(text, out value, out error))
        {
            error += ".";
            return false;
        }

        if (value < TimeSpan.Zero || value > LimitBounds.MaxWait)
        {
            error = $"'{text}' is not between 0s and {LimitBounds.MaxWait.TotalDays}d.";
            return false;
        }

        return true;
    }

    /// <summary>The maxWait of a request that passed validation; null when it gives none.</summary>
    public static TimeSpan? MaxWait(SubmitTaskRequest request) =>
        request.MaxWait is { } text && TryParseMaxWait(text, out var maxWait, out _) ? maxWait : null;

    static string Utc(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static IReadOnlyList<string>? Chain(SubmitTaskRequest request) =>
        request.Agents ?? (request.Agent is null ? null : [request.Agent]);

    async Task ValidateRepositoryAsync(RepositoryRequest repository, Action<string, string> add, CancellationToken cancellationToken)
    {
        if (repository.Url is not null)
        {
            ValidateRemote(repository, add);
            return;
        }

        if (repository.PushTo is not null || repository.OpenPullRequest == true || repository.PullRequestTitle is not null || repository.PullRequestBody is not null)
        {
            add(repository.PushTo is not null ? "repository.pushTo" : "repository.openPullRequest",
                "needs repository.url: a local repository's result stays on the attempt's branch in it.");
            return;
        }

        if (string.IsNullOrWhiteSpace(repository.Path))
        {
            add("repository.path", "is required when repository is given.");
            return;
        }

        if (!Path.IsPathFullyQualified(repository.Path))
        {
            add("repository.path", $"'{repository.Path}' must be an absolute path.");
            return;
        }

        // Whether it is allowed comes first: a path outside the roots is refused the same whether it exists or not, so
        // the API tells nobody what lies outside them. What follows looks at the real path that was checked, not at the
        // links the submitter named (the worker checks again before it makes the worktree).
        if (RealPaths.UnderAllowedRoot(repository.Path, _options.AllowedRepositoryRoots) is not { } path)
        {
            add("repository.path", $"'{repository.Path}' is not under an allowed repository root ({string.Join(", ", _options.AllowedRepositoryRoots)}).");
            return;
        }

        if (!Directory.Exists(path))
        {
            add("repository.path", $"'{repository.Path}' does not exist.");
            return;
        }

        if (!await git.IsRepositoryAsync(path, cancellationToken))
        {
            add("repository.path", $"'{repository.Path}' is not a git repository.");
            return;
        }

        var baseRef = repository.BaseRef ?? "HEAD";
        if (baseRef.StartsWith('-') || !await git.RefExistsAsync(path, baseRef, cancellationToken))
            add("repository.baseRef", $"'{baseRef}' does not name a commit in '{repository.Path}'.");
    }

    /// <summary>
    /// A remote repository's URL (transport, no credentials, host allowed; a file:// path under the allowed roots), its
    /// pushTo branch and the form of its baseRef. Whether the repository and ref exist is the worker's to find out: it
    /// holds the credentials. A task it cannot reach fails there as Invalid or Fatal, with git's message.
    /// </summary>
    void ValidateRemote(RepositoryRequest repository, Action<string, string> add)
    {
        if (repository.Path is not null)
            add("repository", "give path or url, not both.");
        if (!RemoteUrl.TryParse(repository.Url, out var url, out var error))
        {
            add("repository.url", error);
        }
        else if (url.IsFile)
        {
            if (RealPaths.UnderAllowedRoot(url.Path, _options.AllowedRepositoryRoots) is null)
                add("repository.url", $"'{url.Path}' is not under an allowed repository root ({string.Join(", ", _options.AllowedRepositoryRoots)}).");
        }
        else if (!url.HostAllowed(_git.AllowedHosts))
        {
            add("repository.url", $"host '{url.Host}' is not in {GitOptions.Section}:AllowedHosts ({(_git.AllowedHosts.Count == 0 ? "empty: no remote repository is allowed" : string.Join(", ", _git.AllowedHosts))}).");
        }

        if (repository.PushTo is { } pushTo && BranchNames.Problem(pushTo) is { } pushProblem)
            add("repository.pushTo", $"'{pushTo}' {pushProblem}");
        if (repository.BaseRef is { } baseRef && (baseRef.Length == 0 || baseRef.StartsWith('-') || BranchNames.Problem(baseRef) is not null))
            add("repository.baseRef", $"'{baseRef}' is not a branch, tag or commit name.");
        if (repository.PullRequestTitle is { } title && (string.IsNullOrWhiteSpace(title) || title.Length > 256))
            add("repository.pullRequestTitle", "must be 1 to 256 characters.");
        if (repository.PullRequestBody is { Length: > 65536 })
            add("repository.pullRequestBody", "must be at most 65536 characters.");
        if ((repository.PullRequestTitle is not null || repository.PullRequestBody is not null) && repository.OpenPullRequest != true)
            add("repository.openPullRequest", "must be true when a pull request title or body is given.");
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex LabelKey();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$", RegexOptions.IgnoreCase | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex IsoTimeWithOffset();
}
