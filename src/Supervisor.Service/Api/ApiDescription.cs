using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Supervisor.Service.Api;

/// <summary>
/// The API's OpenAPI document at <c>/openapi/v1.json</c> and a browsable reference of it (Scalar) at <c>/scalar</c>. Both
/// are readable without a token, like <c>/health</c>: they describe the API and hold no data (tokens guard <c>/api</c>
/// and <c>/metrics</c>). The reference is served whole from the service (no CDN, no fonts, no telemetry):
/// it must work where the machine reaches nothing else.
/// </summary>
public static class ApiDescription
{
    public const string DocumentPath = "/openapi/v1.json";

    public const string ReferencePath = "/scalar";

    const string BearerScheme = "Bearer";

    public static IServiceCollection AddApiDescription(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Supervisor API",
                    Version = "v1",
                    Description = "Submit, watch and steer tasks run by AI coding agents. JSON in camelCase; errors are "
                        + "`application/problem+json` (validation errors name each field under `errors`).",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "A named token, required on every /api request and on /metrics (loopback included); its role decides "
                        + "what it may call (viewer < submitter < approver < admin; 403 otherwise) and its name is the `by` of the audit trail. "
                        + "The CLI sends SUPERVISOR_TOKEN; `supervisor tokens new NAME --role ROLE` makes one.",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer(async (operation, context, cancellationToken) =>
            {
                if (context.Description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) != true)
                    return;
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] });
                operation.Responses ??= [];
                operation.Responses.TryAdd("401", new OpenApiResponse
                {
                    Description = "The request carried no token, or one that is not configured.",
                    Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
                    {
                        ["application/problem+json"] = new() { Schema = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), cancellationToken: cancellationToken) },
                    },
                });
            });
        });

    public static WebApplication MapApiDescription(this WebApplication app)
    {
        app.MapOpenApi(DocumentPath);
        app.MapScalarApiReference(ReferencePath, options => options
            .WithTitle("Supervisor API")
            .WithOpenApiRoutePattern(DocumentPath)
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp());
        return app;
    }
}
