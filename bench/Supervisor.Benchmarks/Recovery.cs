using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Supervisor.Benchmarks;

/// <summary>
/// The steps of bench.sh's <c>recovery</c> part, which kills and restarts the processes itself and calls these around
/// each fault, through the HTTP API only:
/// <list type="bullet">
/// <item><c>submit --prompt P [--n N]</c>: submits N tasks to the shell agent, asking again until the API accepts them
/// (it may be starting); prints their ids, one a line.</item>
/// <item><c>started --ids A,B --attempt K --since UNIX_SECONDS</c>: waits until each task has K attempts started;
/// prints the seconds from <c>--since</c> to the latest of those K-th starts, and the worker of the last one.</item>
/// <item><c>terminal --ids A,B --since UNIX_SECONDS</c>: waits until each task is terminal; prints the seconds from
/// <c>--since</c> to the last one's finish.</item>
/// <item><c>cancel --ids A,B</c>: cancels the tasks (ends a long attempt that was only there to be interrupted).</item>
/// <item><c>summary --name NAME --values "S1 S2 …"</c>: prints <c>RESULT NAME_median_s</c> and <c>NAME_max_s</c>.</item>
/// </list>
/// Start and finish times are the service's (an attempt's startedAt is when its lease was granted), on this machine's
/// clock, as the shell's <c>--since</c> is.
/// </summary>
static class Recovery
{
    static readonly string[] Terminal = ["Succeeded", "Failed", "Cancelled", "Rejected"];

    public static async Task<int> RunAsync(string[] raw)
    {
        var step = raw.Length > 1 ? raw[1] : "";
        var options = BenchArgs.Parse(raw[1..]);
        if (step == "summary")
            return Summary(options);

        using var http = new HttpClient { BaseAddress = new Uri(options.Get("api")), Timeout = TimeSpan.FromSeconds(10) };
        if (Environment.GetEnvironmentVariable("SUPERVISOR_TOKEN") is { Length: > 0 } token)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var window = new CancellationTokenSource(TimeSpan.FromSeconds(options.Int("timeout", 180)));
        try
        {
            return step switch
            {
                "submit" => await SubmitAsync(http, options.Get("prompt"), options.Int("n", 1), window.Token),
                "started" => await StartedAsync(http, Ids(options), options.Int("attempt", 1), Since(options), window.Token),
                "terminal" => await TerminalAsync(http, Ids(options), Since(options), window.Token),
                "cancel" => await CancelAsync(http, Ids(options), window.Token),
                _ => BenchArgs.Usage(),
            };
        }
        catch (OperationCanceledException) when (window.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"recovery {step}: not done within {options.Int("timeout", 180)} s");
            return 1;
        }
    }

    static async Task<int> SubmitAsync(HttpClient http, string prompt, int n, CancellationToken cancellationToken)
    {
        for (var i = 0; i < n; i++)
        {
            var id = Guid.NewGuid();
            // Asked again until accepted: right after a restart the API is not listening yet, or not ready. The id is
            // ours, so a submit that was accepted but whose answer was lost is not a second task.
            while (true)
            {
                try
                {
                    using var response = await http.PostAsJsonAsync("api/tasks", new { id, prompt, agent = "shell" }, cancellationToken);
                    if (response.IsSuccessStatusCode)
                        break;
                }
                catch (HttpRequestException)
                {
                }

                await Task.Delay(50, cancellationToken);
            }

            Console.WriteLine(id);
        }

        return 0;
    }

    static async Task<int> StartedAsync(HttpClient http, Guid[] ids, int attempt, DateTime since, CancellationToken cancellationToken)
    {
        var latest = DateTime.MinValue;
        var worker = "";
        foreach (var id in ids)
        {
            while (true)
            {
                var started = (await ViewAsync(http, id, cancellationToken)).GetProperty("attempts").EnumerateArray()
                    .Where(a => a.GetProperty("startedAt").ValueKind == JsonValueKind.String)
                    .Select(a => (At: a.GetProperty("startedAt").GetDateTime().ToUniversalTime(), Worker: a.GetProperty("worker").GetString() ?? ""))
                    .OrderBy(a => a.At)
                    .ToList();
                if (started.Count >= attempt)
                {
                    if (started[attempt - 1].At >= latest)
                        (latest, worker) = started[attempt - 1];
                    break;
                }

                await Task.Delay(100, cancellationToken);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(latest - since).TotalSeconds:0.000} {worker}"));
        return 0;
    }

    static async Task<int> TerminalAsync(HttpClient http, Guid[] ids, DateTime since, CancellationToken cancellationToken)
    {
        var latest = DateTime.MinValue;
        foreach (var id in ids)
        {
            while (true)
            {
                var view = await ViewAsync(http, id, cancellationToken);
                if (Terminal.Contains(view.GetProperty("state").GetString(), StringComparer.Ordinal)
                    && view.GetProperty("finishedAt").ValueKind == JsonValueKind.String)
                {
                    var finished = view.GetProperty("finishedAt").GetDateTime().ToUniversalTime();
                    latest = finished > latest ? finished : latest;
                    break;
                }

                await Task.Delay(100, cancellationToken);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(latest - since).TotalSeconds:0.000}"));
        return 0;
    }

    static async Task<int> CancelAsync(HttpClient http, Guid[] ids, CancellationToken cancellationToken)
    {
        foreach (var id in ids)
        {
            using var response = await http.PostAsJsonAsync($"api/tasks/{id}/cancel", new { reason = "bench: recovery measured" }, cancellationToken);
            response.EnsureSuccessStatusCode();
        }

        return 0;
    }

    static int Summary(BenchArgs options)
    {
        var values = options.Get("values").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(v => double.Parse(v, CultureInfo.InvariantCulture)).Order().ToList();
        var name = options.Get("name");
        BenchArgs.Result($"{name}_n", values.Count);
        BenchArgs.Result($"{name}_median_s", Percentiles.Of(values, 50));
        BenchArgs.Result($"{name}_max_s", values.Count == 0 ? double.NaN : values[^1]);
        return values.Count == 0 ? 1 : 0;
    }

    /// <summary>The task's view; asked again while the API does not answer (the service restarting).</summary>
    static async Task<JsonElement> ViewAsync(HttpClient http, Guid id, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                using var response = await http.GetAsync($"api/tasks/{id}", cancellationToken);
                if (response.IsSuccessStatusCode)
                    return await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // the request's own timeout: a service that is stopping
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    static Guid[] Ids(BenchArgs options) =>
        [.. options.Get("ids").Split([',', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Guid.Parse)];

    static DateTime Since(BenchArgs options) =>
        DateTime.UnixEpoch.AddSeconds(double.Parse(options.Get("since"), CultureInfo.InvariantCulture));
}
