using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Supervisor.Service.Api;

/// <summary>Reading the optional JSON body of a command (task and schedule verbs alike); errors name the field.</summary>
static class RequestBodies
{
    /// <summary>The body, null when none was sent, or the 400 of one that is not the expected JSON.</summary>
    public static async Task<(T? Body, ValidationProblem? Invalid)> ReadOptionalAsync<T>(HttpRequest http, CancellationToken cancellationToken)
        where T : class
    {
        if (http.ContentLength is not > 0 && http.Headers.TransferEncoding.Count == 0)
            return (null, null);
        try
        {
            return (await JsonSerializer.DeserializeAsync<T>(http.Body, JsonSerializerOptions.Web, cancellationToken), null);
        }
        catch (JsonException e)
        {
            return (null, Invalid(TaskEndpoints.JsonField(e), "is not valid JSON of the expected type."));
        }
    }

    /// <summary>A verb's <c>{reason?}</c>, checked for length (a <c>by</c> is accepted and ignored: the caller is the token's name).</summary>
    public static async Task<(TaskCommandRequest? Body, ValidationProblem? Invalid)> ReadCommandAsync(HttpRequest http, CancellationToken cancellationToken)
    {
        var (body, invalid) = await ReadOptionalAsync<TaskCommandRequest>(http, cancellationToken);
        if (body?.Reason is { Length: > 2000 })
            invalid = Invalid("reason", "is too long (2000 characters at most).");
        return (body, invalid);
    }

    static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] });
}
