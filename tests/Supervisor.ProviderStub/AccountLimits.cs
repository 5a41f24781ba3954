namespace Supervisor.ProviderStub;

/// <summary>
/// The control API's body for <c>POST /_stub/limits</c>: every agent turn of <paramref name="Api"/> (and of
/// <paramref name="Key"/>, when given) is refused until <paramref name="ResetInSeconds"/> from now, as a spent usage
/// window (<c>usage</c>) or a rate limit (<c>429</c>).
/// </summary>
public sealed record LimitRequest(string Api, string? Key, string Kind, int ResetInSeconds);

/// <summary>
/// Account-level limits: unlike a script's steps, which a prompt's text selects, these hold for a whole account (an API
/// and a key) until their reset, whatever the request asks, as a provider's subscription window does.
/// </summary>
public sealed class AccountLimits(TimeProvider clock)
{
    sealed record Limit(string Api, string? Key, StepKind Kind, DateTimeOffset Until);

    readonly List<Limit> _limits = [];
    readonly Lock _lock = new();

    /// <summary>Adds a limit, replacing one of the same API and key.</summary>
    public void Add(LimitRequest request)
    {
        var kind = request.Kind?.ToLowerInvariant() switch
        {
            "usage" => StepKind.UsageWindow,
            "429" => StepKind.RateLimited,
            _ => throw new FormatException($"unknown limit kind '{request.Kind}' (usage or 429)"),
        };
        if (string.IsNullOrEmpty(request.Api))
            throw new FormatException("a limit needs an api (anthropic, openai or gemini)");
        if (request.ResetInSeconds <= 0)
            throw new FormatException("resetInSeconds must be positive");
        var limit = new Limit(request.Api, string.IsNullOrEmpty(request.Key) ? null : request.Key, kind, clock.GetUtcNow().AddSeconds(request.ResetInSeconds));
        lock (_lock)
        {
            _limits.RemoveAll(l => l.Api == limit.Api && l.Key == limit.Key);
            _limits.Add(limit);
        }
    }

    public void Clear()
    {
        lock (_lock)
            _limits.Clear();
    }

    /// <summary>
    /// The step that answers a request of <paramref name="api"/> made with <paramref name="key"/> while a limit holds (the
    /// remaining time as its reset or retry-after, rounded up); null when none does. A limit for the key wins over one for
    /// every key of the API.
    /// </summary>
    public Step? Find(string api, string? key)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            _limits.RemoveAll(l => l.Until <= now);
            var limit = _limits.Where(l => l.Api == api && (l.Key is null || l.Key == key)).OrderByDescending(l => l.Key is not null).FirstOrDefault();
            if (limit is null)
                return null;
            var remaining = (int)Math.Ceiling((limit.Until - now).TotalSeconds);
            return limit.Kind == StepKind.UsageWindow ? new Step(StepKind.UsageWindow, 0, ResetInSeconds: remaining) : new Step(StepKind.RateLimited, remaining);
        }
    }
}
