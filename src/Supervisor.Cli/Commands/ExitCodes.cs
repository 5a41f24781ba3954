namespace Supervisor.Cli.Commands;

/// <summary>Process exit codes; scripts depend on them.</summary>
static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The API answered with an error, could not be reached, or a waited-for task ended unsuccessfully.</summary>
    public const int Failure = 1;

    /// <summary>The command line itself was wrong; nothing was sent.</summary>
    public const int Usage = 2;

    /// <summary>Interrupted by Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}
