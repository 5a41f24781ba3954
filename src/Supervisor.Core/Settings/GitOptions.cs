namespace Supervisor.Settings;

/// <summary>
/// <c>Supervisor:Git</c>: which remote repositories tasks may name by URL. The service refuses others at submit; a worker
/// refuses them again before it fetches (as <c>Invalid</c>), for jobs that did not come through the service's check.
/// </summary>
public sealed class GitOptions : IValidatedOptions
{
    public const string Section = "Supervisor:Git";

    /// <summary>
    /// Hosts a task's <c>repository.url</c> may name (host names, any case; <c>*</c>: any host). Empty (the default): no
    /// remote repository is accepted. <c>file://</c> URLs need no host: their path must lie under
    /// <c>Supervisor:Api:AllowedRepositoryRoots</c>, like <c>repository.path</c>.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    public IReadOnlyList<string> Validate() =>
        [.. AllowedHosts.Where(h => string.IsNullOrWhiteSpace(h) || h.Any(c => char.IsWhiteSpace(c) || c is '/' or '@'))
            .Select(h => $"{Section}:AllowedHosts: '{h}' is not a host name (github.com, git.example.org, 127.0.0.1) or '*'.")];
}
