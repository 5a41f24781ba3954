using System.Globalization;

namespace Supervisor.ProviderStub;

/// <summary>What the stub does with one model request.</summary>
public enum StepKind
{
    /// <summary>Answer: a tool call that writes the script's file, or, once the tool ran, a final text.</summary>
    Ok,
    RateLimited,
    Quota,
    Overloaded,
    ServerError,
    Unauthorized,
    /// <summary>Accept the request and never answer.</summary>
    Hang,
    /// <summary>Start a streaming answer, then drop the connection mid-stream.</summary>
    Drop,
    /// <summary>A spent usage window (a subscription's five-hour limit) that resets after <see cref="Step.ResetInSeconds"/>.</summary>
    UsageWindow,
    /// <summary>Answer as <see cref="Ok"/> does, after <see cref="Step.DelayMs"/>.</summary>
    Slow,
}

public sealed record Step(StepKind Kind, int RetryAfterSeconds, int ResetInSeconds = 0, int DelayMs = 0)
{
    public static readonly Step Ok = new(StepKind.Ok, 0);

    /// <summary>
    /// <c>ok</c>, <c>429</c>, <c>429:retryAfter=N</c>, <c>quota</c>, <c>overloaded</c>, <c>500</c>, <c>401</c>, <c>hang</c>,
    /// <c>drop</c>, <c>usage:resetIn=N</c> (a usage window spent for N more seconds), <c>slow:ms=N</c> (ok after N ms);
    /// <c>STEP*N</c> repeats a step N times (<c>500*2</c> is "fail twice, then the rest").
    /// </summary>
    public static IEnumerable<Step> Parse(string text)
    {
        var (step, times) = text.Split('*') is [var s, var n] ? (s, int.Parse(n, CultureInfo.InvariantCulture)) : (text, 1);
        var parts = step.Trim().Split(':', 2);
        var kind = parts[0].ToLowerInvariant() switch
        {
            "ok" => StepKind.Ok,
            "429" => StepKind.RateLimited,
            "quota" => StepKind.Quota,
            "overloaded" or "529" or "503" => StepKind.Overloaded,
            "500" => StepKind.ServerError,
            "401" => StepKind.Unauthorized,
            "hang" => StepKind.Hang,
            "drop" => StepKind.Drop,
            "usage" => StepKind.UsageWindow,
            "slow" => StepKind.Slow,
            _ => throw new FormatException($"unknown step '{step}'"),
        };
        var parsed = kind switch
        {
            StepKind.UsageWindow => new Step(kind, 0, ResetInSeconds: Argument(parts, "resetIn=") ?? throw new FormatException($"'{step}' needs resetIn=N")),
            StepKind.Slow => new Step(kind, 0, DelayMs: Argument(parts, "ms=") ?? throw new FormatException($"'{step}' needs ms=N")),
            _ => new Step(kind, Argument(parts, "retryAfter=") ?? 0),
        };
        return Enumerable.Repeat(parsed, times);
    }

    static int? Argument(string[] parts, string name) =>
        parts.Length == 2 && parts[1].StartsWith(name, StringComparison.OrdinalIgnoreCase)
            ? int.Parse(parts[1][name.Length..], CultureInfo.InvariantCulture)
            : null;

    public override string ToString() => Kind switch
    {
        StepKind.UsageWindow => $"{Kind} (resets in {ResetInSeconds}s)",
        StepKind.Slow => $"{Kind} ({DelayMs} ms)",
        _ => Kind + (RetryAfterSeconds > 0 ? $" (retry-after {RetryAfterSeconds}s)" : ""),
    };
}

/// <summary>
/// A scripted conversation: model requests whose body contains <see cref="Match"/> (and that speak <see cref="Api"/>,
/// when it is set) take the next of the steps, then <c>then</c> for ever. An <c>ok</c> answer writes <see cref="File"/>
/// with <see cref="Content"/> through the CLI's own write tool.
/// </summary>
public sealed class Script(string match, string? api, IEnumerable<Step> steps, Step then, string? file, string? content)
{
    readonly Queue<Step> _steps = new(steps);
    readonly Lock _lock = new();

    public string Match { get; } = match;

    /// <summary><c>anthropic</c>, <c>openai</c> or <c>gemini</c>; null for every API.</summary>
    public string? Api { get; } = api;

    public string? File { get; } = file;

    public string Content { get; } = content ?? "written by the provider stub\n";

    public int Requests { get; private set; }

    public Step Next()
    {
        lock (_lock)
        {
            Requests++;
            return _steps.TryDequeue(out var step) ? step : then;
        }
    }
}

/// <summary>The control API's body for <c>POST /_stub/scripts</c>.</summary>
public sealed record ScriptRequest(string Match, string? Api, List<string>? Steps, string? Then, string? File, string? Content);

/// <summary>
/// Scripts by match text and API: a script for the request's API wins over one for every API, then the longest match;
/// the empty match (if registered) applies to every request.
/// </summary>
public sealed class ScriptBook
{
    readonly List<Script> _scripts = [];
    readonly Lock _lock = new();

    public Script Add(ScriptRequest request)
    {
        var steps = (request.Steps ?? []).SelectMany(Step.Parse).ToList();
        var then = request.Then is { } t ? Step.Parse(t).Single() : Step.Ok;
        var script = new Script(request.Match ?? "", request.Api, steps, then, request.File, request.Content);
        lock (_lock)
        {
            _scripts.RemoveAll(s => s.Match == script.Match && s.Api == script.Api);
            _scripts.Add(script);
        }

        return script;
    }

    public void Clear()
    {
        lock (_lock)
            _scripts.Clear();
    }

    public Script? Find(string api, string body)
    {
        lock (_lock)
        {
            return _scripts.Where(s => (s.Api is null || s.Api == api) && body.Contains(s.Match, StringComparison.Ordinal))
                .OrderByDescending(s => s.Api is not null).ThenByDescending(s => s.Match.Length).FirstOrDefault();
        }
    }
}
