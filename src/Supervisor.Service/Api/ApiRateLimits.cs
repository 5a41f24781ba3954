using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Supervisor.Service.Api;

/// <summary>
/// Each token's requests through its own token bucket (<c>Supervisor:Api:RateLimit</c>, read at start), partitioned by
/// the token's name: one busy client slows only itself. Callers without an identity are refused before (401), and the
/// health endpoints have no limit. Over the limit: 429 with <c>Retry-After</c> and a problem body.
/// </summary>
static class ApiRateLimits
{
    public static IServiceCollection AddApiRateLimits(this IServiceCollection services) =>
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                if (context.User.Identity is not { IsAuthenticated: true, Name: { } name })
                    return RateLimitPartition.GetNoLimiter("");
                var settings = context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.RateLimit;
                return RateLimitPartition.GetTokenBucketLimiter(name, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = settings.Burst,
                    TokensPerPeriod = settings.PermitsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var http = rejected.HttpContext;
                var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                var settings = http.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.RateLimit;
                await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests.",
                    detail: $"Token '{http.User.Identity?.Name}' made more than {settings.Burst} requests at once or {settings.PermitsPerSecond} a second "
                        + $"({ApiOptions.Section}:RateLimit); try again in {seconds} s.").ExecuteAsync(http);
            };
        });
}
