using System.Reflection;
using System.Text.RegularExpressions;
using NetArchTest.Rules;

namespace Supervisor.Tests.Architecture;

/// <summary>
/// Which folders (namespaces) of one assembly use which: an edge A -> B when a type declared in A depends on a type
/// declared in B. A folder is a namespace at most two levels below the root (Storage and Storage.Postgres are two; the
/// sagas inside Storage.Postgres are part of it), matched exactly, not by prefix.
/// </summary>
sealed class NamespaceGraph
{
    readonly Dictionary<string, SortedSet<string>> _edges;

    NamespaceGraph(Dictionary<string, SortedSet<string>> edges) => _edges = edges;

    public IReadOnlyCollection<string> Nodes => _edges.Keys;

    public IReadOnlySet<string> From(string node) => _edges.TryGetValue(node, out var to) ? to : [];

    public static NamespaceGraph Of(Assembly assembly, string rootNamespace)
    {
        var byNamespace = assembly.GetTypes()
            .Where(t => t.Namespace is { } ns && (ns == rootNamespace || ns.StartsWith(rootNamespace + ".", StringComparison.Ordinal)))
            .Where(t => !t.IsNested && !t.Name.StartsWith('<'))
            .GroupBy(t => Folder(t.Namespace!, rootNamespace))
            .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);

        var edges = byNamespace.Keys.ToDictionary(ns => ns, _ => new SortedSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var from in byNamespace.Keys)
        {
            var namespaces = string.Join('|', byNamespace[from].Select(t => Regex.Escape(t.Namespace!)).Distinct());
            foreach (var (to, types) in byNamespace)
            {
                if (to == from)
                    continue;
                // NetArchTest matches a dependency by the start of its full name: a type's full name (plus '+' for its
                // nested types) names it exactly enough.
                var users = Types.InAssembly(assembly).That()
                    .ResideInNamespaceMatching($"^({namespaces})$")
                    .And().HaveDependencyOnAny([.. types.Select(t => t.FullName!)])
                    .GetTypes();
                if (users.Any())
                    edges[from].Add(to);
            }
        }

        return new NamespaceGraph(edges);
    }

    static string Folder(string ns, string rootNamespace)
    {
        var below = ns.Length == rootNamespace.Length ? [] : ns[(rootNamespace.Length + 1)..].Split('.');
        return below.Length <= 2 ? ns : rootNamespace + "." + string.Join('.', below[..2]);
    }

    public static NamespaceGraph FromEdges(params (string From, string To)[] edges)
    {
        var map = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (from, to) in edges)
        {
            (map.TryGetValue(from, out var set) ? set : map[from] = new SortedSet<string>(StringComparer.Ordinal)).Add(to);
            map.TryAdd(to, new SortedSet<string>(StringComparer.Ordinal));
        }

        return new NamespaceGraph(map);
    }

    /// <summary>Every cycle's nodes, each cycle once (the strongly connected components with more than one node).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        // Tarjan's algorithm; the graphs are a few dozen nodes, so recursion depth is no concern.
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var cycles = new List<IReadOnlyList<string>>();
        var next = 0;

        void Visit(string node)
        {
            index[node] = low[node] = next++;
            stack.Push(node);
            onStack.Add(node);
            foreach (var to in From(node))
            {
                if (!index.TryGetValue(to, out var toIndex))
                {
                    Visit(to);
                    low[node] = Math.Min(low[node], low[to]);
                }
                else if (onStack.Contains(to))
                {
                    low[node] = Math.Min(low[node], toIndex);
                }
            }

            if (low[node] != index[node])
                return;
            var component = new List<string>();
            string member;
            do
            {
                member = stack.Pop();
                onStack.Remove(member);
                component.Add(member);
            }
            while (member != node);
            if (component.Count > 1)
                cycles.Add([.. component.Order(StringComparer.Ordinal)]);
        }

        foreach (var node in _edges.Keys.Order(StringComparer.Ordinal))
        {
            if (!index.ContainsKey(node))
                Visit(node);
        }

        return cycles;
    }

    public string Describe(IReadOnlyList<string> cycle) =>
        string.Join("; ", cycle.Select(n => $"{n} -> {string.Join(", ", From(n).Where(cycle.Contains))}"));
}
