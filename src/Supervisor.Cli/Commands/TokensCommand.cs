using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Supervisor.Cli.Rendering;
using Supervisor.Contracts;

namespace Supervisor.Cli.Commands;

/// <summary>
/// <c>supervisor tokens new NAME --role ROLE</c>: a new API token, made here (the service never sees it in clear). Prints
/// the token once and what to add to the service's configuration: its hash and role. Talks to no service.
/// </summary>
static class TokensCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "The token's name: who the audit trail says acted (1 to 64 letters, digits, '.', '_', '@', '-')" };
        var role = new Option<string>("--role")
        {
            Description = "viewer (reads), submitter (+ submit, cancel, pause, resume, retry, schedules), approver (+ approve, reject, task budgets), admin (everything)",
            HelpName = "ROLE",
            Required = true,
        };
        role.AcceptOnlyFromAmong([.. ApiTokenFormat.Roles]);
        var create = new Command("new", "Make a new API token; prints it once, with the configuration that lets it in") { name, role };
        create.SetAction(parse => Run(parse.GetValue(name)!, parse.GetValue(role)!, parse.GetValue(GlobalOptions.Json)));
        create.WithExamples("supervisor tokens new alice --role approver", "supervisor tokens new ci --role submitter --json");
        return new Command("tokens", "API tokens (named, with a role) for people and programs") { create };
    }

    static int Run(string name, string role, bool json)
    {
        if (!ApiTokenFormat.IsName(name))
        {
            Output.ErrorLine($"NAME '{name}': {ApiTokenFormat.NameRule}.");
            return ExitCodes.Usage;
        }

        if (ApiTokenFormat.ReservedNames.Contains(name, StringComparer.Ordinal))
        {
            Output.ErrorLine($"NAME '{name}': is reserved by the service.");
            return ExitCodes.Usage;
        }

        var token = New();
        var hash = ApiTokenFormat.Hash(token);
        var environment = new JsonObject
        {
            [$"Supervisor__Api__Tokens__{name}__Hash"] = hash,
            [$"Supervisor__Api__Tokens__{name}__Role"] = role,
        };
        var configuration = new JsonObject
        {
            ["Supervisor"] = new JsonObject { ["Api"] = new JsonObject { ["Tokens"] = new JsonObject { [name] = new JsonObject { ["Hash"] = hash, ["Role"] = role } } } },
        };
        if (json)
        {
            Output.Json(new JsonObject
            {
                ["name"] = name,
                ["role"] = role,
                ["token"] = token,
                ["hash"] = hash,
                ["configuration"] = configuration,
                ["environment"] = environment,
            }.ToJsonString());
            return ExitCodes.Success;
        }

        var console = Output.Human;
        console.MarkupLine($"Token [bold]{Markup.Escape(name)}[/] ({role}); shown this once, keep it secret (clients send it as SUPERVISOR_TOKEN):");
        console.WriteLine();
        console.WriteLine("  " + token);
        console.WriteLine();
        console.MarkupLine("Let it in: add to the service's configuration (Supervisor:Api:TokensFile is read again when it changes; other places at start)");
        console.WriteLine(configuration.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        console.MarkupLine("or set in the service's environment:");
        foreach (var (key, value) in environment)
            console.WriteLine($"  {key}={value}");
        return ExitCodes.Success;
    }

    /// <summary>32 random bytes, base64url, with a prefix that secret scanners and people recognise.</summary>
    internal static string New() => "sup_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
