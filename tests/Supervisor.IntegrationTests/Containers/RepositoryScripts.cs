using System.Text;
using CliWrap;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Containers;

/// <summary>Runs the repository's own scripts (the engine and the images come from them, as on any machine).</summary>
static class RepositoryScripts
{
    public static async Task<string> RunAsync(string script, params string[] arguments)
    {
        // One log of both streams, in the order the lines came, as a terminal would show it.
        var output = new StringBuilder();
        var lines = PipeTarget.ToDelegate(line =>
        {
            lock (output)
                output.AppendLine(line);
        });

        // Past the limit CliWrap kills the script with everything it started.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var result = await CliWrap.Cli.Wrap("bash")
            .WithArguments([Path.Combine(TestEnvironment.RepositoryRoot, "scripts", script), .. arguments])
            .WithStandardOutputPipe(lines)
            .WithStandardErrorPipe(lines)
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(timeout.Token);
        lock (output)
        {
            return result.ExitCode == 0
                ? output.ToString()
                : throw new InvalidOperationException($"scripts/{script} {string.Join(' ', arguments)} exited with {result.ExitCode}:\n{output}");
        }
    }
}
