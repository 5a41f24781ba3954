using Supervisor.Contracts;

namespace Supervisor.Rules.Repositories;

/// <summary>
/// The class of a fetch or push that failed, from git's message (the worker runs git with <c>LC_ALL=C</c>):
/// credentials refused or missing are <c>Fatal</c> (no retry brings them; the next agent in the chain uses the same
/// worker's credentials, so the task fails unless the operator fixes them), a repository or ref that does not exist is
/// <c>Invalid</c> (the task is wrong), a push the remote refused (not a fast-forward, a protected branch, a hook) is an
/// <c>AgentFailure</c>, and the rest — the network, a server error, a dropped connection — is <c>Retryable</c>. A server that
/// hangs up at first contact with nothing more said ("Could not read from remote repository") is taken for a repository
/// that does not exist unless a network failure is named with it.
/// </summary>
public static class RemoteGitFailures
{
    static readonly string[] Authentication =
    [
        "Authentication failed", "could not read Username", "could not read Password", "Invalid username or password",
        "The requested URL returned error: 401", "The requested URL returned error: 403", "Permission denied (publickey",
        "Permission denied, please try again", "Host key verification failed", "No more authentication methods",
        "terminal prompts disabled",
    ];

    /// <summary>The network or the server failing: checked before <see cref="Missing"/>, whose generic hang-up message they come with.</summary>
    static readonly string[] Network =
    [
        "Could not resolve host", "Connection refused", "Connection timed out", "Connection reset", "Connection closed", "Operation timed out",
        "unable to connect", "Failed to connect", "Network is unreachable", "No route to host", "RPC failed", "early EOF",
        "The requested URL returned error: 5", "Temporary failure in name resolution",
    ];

    static readonly string[] Missing =
    [
        "Repository not found", "repository not found", "no such repository", "does not appear to be a git repository", "not exported",
        "The requested URL returned error: 404", "couldn't find remote ref", "unknown revision", "not a valid object name",
        // git:// and ssh servers that hang up at once (no such repository, where the server tells no more)
        "Could not read from remote repository",
    ];

    static readonly string[] Rejected =
    [
        "[rejected]", "[remote rejected]", "non-fast-forward", "pre-receive hook declined", "protected branch", "failed to push some refs",
    ];

    /// <summary>The class of a failed fetch or push whose stderr is <paramref name="gitError"/>.</summary>
    public static string Classify(string gitError)
    {
        ArgumentNullException.ThrowIfNull(gitError);
        if (Authentication.Any(s => gitError.Contains(s, StringComparison.Ordinal)))
            return ErrorClasses.Fatal;
        if (Network.Any(s => gitError.Contains(s, StringComparison.Ordinal)))
            return ErrorClasses.Retryable;
        if (Missing.Any(s => gitError.Contains(s, StringComparison.Ordinal)))
            return ErrorClasses.Invalid;
        if (Rejected.Any(s => gitError.Contains(s, StringComparison.Ordinal)))
            return ErrorClasses.AgentFailure;
        return ErrorClasses.Retryable;
    }
}
