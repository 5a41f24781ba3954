namespace Supervisor.Cli.Commands;

/// <summary>A usage error found after parsing (for example an unusable <c>--api</c> value): exit code 2, nothing sent.</summary>
sealed class UsageException(string message) : Exception(message);
