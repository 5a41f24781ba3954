using System.CommandLine;
using Spectre.Console;
using Supervisor.Cli.Api;
using Supervisor.Cli.Rendering;

namespace Supervisor.Cli.Commands;

/// <summary>
/// <c>supervisor logs ID [-f]</c> → <c>GET /api/tasks/{id}/logs[?follow=true]</c>. stdout carries the agent's output exactly
/// as recorded; the <c>── attempt N ──</c> separators go to stderr so that stdout stays raw.
/// </summary>
static class LogsCommand
{
    static readonly Argument<string> Id = TaskIdArgument.Create();

    static readonly Option<bool> Follow = new("--follow", "-f")
    {
        Description = "Keep printing output as it arrives until the task ends (with --json: one chunk per line)",
    };

    public static Command Create()
    {
        var command = new Command("logs", "Print a task's output (stdout and stderr of every attempt)") { Id, Follow };
        command.SetApiAction(RunAsync);
        return command.WithExamples("supervisor logs 3f2a1b2c -f", "supervisor logs 3f2a1b2c 2>/dev/null > output.txt");
    }

    static async Task<int> RunAsync(ParseResult parse, ApiClient api, CancellationToken ct)
    {
        var id = await TaskIdArgument.ResolveAsync(api, parse.GetRequiredValue(Id), ct);
        var json = parse.GetValue(GlobalOptions.Json);
        var writer = new LogWriter();

        if (!parse.GetValue(Follow))
        {
            var logs = await api.GetLogsAsync(id, ct);
            if (json)
            {
                Output.Json(logs.Json);
                return ExitCodes.Success;
            }

            foreach (var chunk in logs.Value)
            {
                writer.Write(chunk);
            }

            writer.Finish();
            return ExitCodes.Success;
        }

        using var stream = await api.FollowLogsAsync(id, ct);
        if (!stream.IsLive)
        {
            Output.WarningLine("the service does not stream logs; showing the output recorded so far");
        }

        try
        {
            await foreach (var item in stream.ReadAsync(ct))
            {
                if (json)
                {
                    Output.RawLine(Output.Compact(item.Json));
                }
                else
                {
                    writer.Write(item.Chunk);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl+C is the ordinary way to stop following, as with tail -f: no message.
            return ExitCodes.Interrupted;
        }
        finally
        {
            writer.Finish();
        }

        return ExitCodes.Success;
    }

    /// <summary>Writes chunk text as-is and marks where a new attempt's output begins.</summary>
    sealed class LogWriter
    {
        int? _attempt;
        bool _midLine;

        public void Write(LogChunkView chunk)
        {
            if (chunk.Attempt != _attempt)
            {
                Output.Flush();
                // The separator must start on its own line on a terminal, without adding a newline to stdout.
                Output.Error.MarkupLine($"{(_midLine ? "\n" : "")}[dim]── attempt {chunk.Attempt} ──[/]");
                _attempt = chunk.Attempt;
                _midLine = false;
            }

            if (chunk.Text is { Length: > 0 } text)
            {
                Output.Raw(text);
                _midLine = !text.EndsWith('\n');
            }
        }

        /// <summary>Flushes stdout and, on a terminal, ends a last unterminated line (on stderr, leaving stdout as recorded).</summary>
        public void Finish()
        {
            Output.Flush();
            if (_midLine)
            {
                Output.Error.WriteLine();
                _midLine = false;
            }
        }
    }
}
