using System.Reflection;
using NetArchTest.Rules;

namespace Supervisor.Tests.Architecture;

/// <summary>
/// The layering of docs/architecture.md, checked on the built assemblies: what each project may reference, that only
/// the storage code touches the database driver, and that no two folders of a project use each other.
/// </summary>
public sealed class ArchitectureSpecs
{
    static readonly string[] Infrastructure =
        ["MassTransit", "Microsoft.EntityFrameworkCore", "Npgsql", "Serilog", "Microsoft.AspNetCore", "Microsoft.Extensions", "Quartz", "OpenTelemetry"];

    static readonly string[] Database = ["Npgsql", "Microsoft.EntityFrameworkCore", "Dapper"];

    static Assembly Contracts => Assembly.Load("Supervisor.Contracts");
    static Assembly Rules => Assembly.Load("Supervisor.Rules");
    static Assembly Core => Assembly.Load("Supervisor.Core");
    static Assembly Service => Assembly.Load("Supervisor.Service");
    static Assembly Worker => Assembly.Load("Supervisor.Worker");
    static Assembly Cli => Assembly.Load("supervisor");

    [Fact]
    public void The_contracts_reference_nothing_but_the_framework()
    {
        Assert.Empty(ProjectOrPackageReferences(Contracts));
        AssertHolds(Types.InAssembly(Contracts).That().ResideInNamespace("Supervisor.Contracts").Should().OnlyHaveDependenciesOn("System", "Supervisor.Contracts", "Microsoft.CodeAnalysis"));
    }

    [Fact]
    public void The_rules_reference_only_the_contracts_and_no_infrastructure()
    {
        Assert.All(ProjectOrPackageReferences(Rules), r => Assert.Equal("Supervisor.Contracts", r));
        AssertHolds(Types.InAssembly(Rules).ShouldNot().HaveDependencyOnAny(Infrastructure));
    }

    [Fact]
    public void The_worker_references_no_database_driver_and_no_storage_code()
    {
        var references = ProjectOrPackageReferences(Worker);
        Assert.DoesNotContain(references, r => Database.Any(d => r.StartsWith(d, StringComparison.Ordinal)) || r == "Supervisor.Service");
        AssertHolds(Types.InAssembly(Worker).ShouldNot().HaveDependencyOnAny([.. Database, "Supervisor.Service"]));
    }

    [Fact]
    public void Only_the_storage_code_of_the_service_uses_the_database_driver()
    {
        AssertHolds(Types.InAssembly(Service).That().DoNotResideInNamespace("Supervisor.Service.Storage.Postgres")
            .ShouldNot().HaveDependencyOnAny(Database));
    }

    [Fact]
    public void The_cli_references_nothing_of_ours_but_the_contracts()
    {
        Assert.DoesNotContain(ProjectOrPackageReferences(Cli), r => r.StartsWith("Supervisor.", StringComparison.Ordinal) && r != "Supervisor.Contracts");
        AssertHolds(Types.InAssembly(Cli).ShouldNot().HaveDependencyOnAny(
            "Supervisor.Core", "Supervisor.Rules", "Supervisor.Service", "Supervisor.Worker", "Supervisor.Agents", "Supervisor.Hosting", "MassTransit"));
    }

    [Theory]
    [InlineData("Supervisor.Core", "Supervisor")]
    [InlineData("Supervisor.Rules", "Supervisor.Rules")]
    [InlineData("Supervisor.Service", "Supervisor.Service")]
    [InlineData("Supervisor.Worker", "Supervisor.Worker")]
    [InlineData("supervisor", "Supervisor.Cli")]
    public void No_two_folders_of_a_project_use_each_other(string assembly, string rootNamespace)
    {
        var graph = NamespaceGraph.Of(Assembly.Load(assembly), rootNamespace);
        Assert.NotEmpty(graph.Nodes);
        var cycles = graph.Cycles();
        Assert.True(cycles.Count == 0, "folders that use each other: " + string.Join(" | ", cycles.Select(graph.Describe)));
    }

    [Fact]
    public void A_circle_of_three_folders_is_found_and_a_chain_is_not()
    {
        var circle = NamespaceGraph.FromEdges(("A", "B"), ("B", "C"), ("C", "A"), ("C", "D"));
        Assert.Equal([["A", "B", "C"]], circle.Cycles());
        Assert.Empty(NamespaceGraph.FromEdges(("A", "B"), ("B", "C"), ("A", "C")).Cycles());
    }

    /// <summary>Referenced assemblies that are not part of .NET itself.</summary>
    static List<string> ProjectOrPackageReferences(Assembly assembly) =>
        [.. assembly.GetReferencedAssemblies().Select(a => a.Name!)
            .Where(n => n != "netstandard" && n != "mscorlib" && !n.StartsWith("System", StringComparison.Ordinal) && !n.StartsWith("Microsoft.Win32", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];

    static void AssertHolds(ConditionList rule)
    {
        var result = rule.GetResult();
        Assert.True(result.IsSuccessful, "types that break the rule: " + string.Join(", ", result.FailingTypeNames ?? []));
    }
}
