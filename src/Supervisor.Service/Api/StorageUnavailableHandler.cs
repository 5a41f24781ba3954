using Microsoft.AspNetCore.Diagnostics;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Api;

/// <summary>
/// A request that failed because PostgreSQL is away (stopped, restarting, unreachable) is answered 503 with a
/// <c>Retry-After</c> and a problem saying so, instead of an unexplained 500: the caller may simply try again.
/// </summary>
sealed class StorageUnavailableHandler(IStorageFaults faults, IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!faults.IsRetryable(exception))
            return false;
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "5";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The database is unavailable.",
                Detail = "PostgreSQL did not answer. Try again shortly: asking again is safe.",
            },
        });
    }
}
