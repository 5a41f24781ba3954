using Supervisor.Paths;

namespace Supervisor.Tests.Paths;

/// <summary>Real paths on the real file system: symbolic links made in a temporary directory and followed as the kernel does.</summary>
public sealed class RealPathsSpecs : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("supervisor-realpath-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    string Dir(string relative) => Directory.CreateDirectory(Path.Combine(_root, relative)).FullName;

    string Link(string relative, string target)
    {
        var path = Path.Combine(_root, relative);
        File.CreateSymbolicLink(path, target);
        return path;
    }

    [Fact]
    public void A_path_without_links_is_itself() =>
        Assert.Equal(Dir("a/b"), RealPaths.Resolve(Path.Combine(_root, "a", "b")));

    [Fact]
    public void A_chain_of_links_is_followed_to_its_end()
    {
        var outside = Dir("outside");
        Dir("allowed");
        Link("allowed/hop2", outside);
        Link("allowed/hop1", Path.Combine(_root, "allowed/hop2"));

        Assert.Equal(outside + "/repo", RealPaths.Resolve(Path.Combine(_root, "allowed/hop1/repo")));
    }

    [Fact]
    public void A_relative_link_and_dot_dot_after_it_are_taken_from_where_the_link_led()
    {
        Dir("deep/inner");
        var target = Dir("elsewhere");
        Link("deep/inner/up", "../../elsewhere/x");
        Dir("elsewhere/x");

        // deep/inner/up → elsewhere/x; its ".." is elsewhere, not deep/inner.
        Assert.Equal(target + "/sibling", RealPaths.Resolve(Path.Combine(_root, "deep/inner/up/../sibling")));
    }

    [Fact]
    public void Links_that_loop_resolve_to_nothing()
    {
        Link("ping", Path.Combine(_root, "pong"));
        Link("pong", Path.Combine(_root, "ping"));

        Assert.Null(RealPaths.Resolve(Path.Combine(_root, "ping", "repo")));
    }

    [Fact]
    public void A_path_that_does_not_exist_is_kept_as_written_after_its_real_part()
    {
        var real = Dir("real");
        Link("alias", real);

        Assert.Equal(real + "/missing/repo", RealPaths.Resolve(Path.Combine(_root, "alias/missing/repo")));
    }

    [Fact]
    public void A_link_inside_an_allowed_root_that_points_outside_it_is_not_allowed()
    {
        var root = Dir("roots/allowed");
        var outside = Dir("outside/repo");
        Link("roots/allowed/escape", outside);

        Assert.Null(RealPaths.UnderAllowedRoot(Path.Combine(root, "escape"), [root]));
        Assert.Null(RealPaths.UnderAllowedRoot(Path.Combine(root, "escape", "missing"), [root]));
        Assert.Null(RealPaths.UnderAllowedRoot(Path.Combine(root, "..", "..", "outside", "repo"), [root]));
        Assert.Equal(outside, RealPaths.UnderAllowedRoot(Path.Combine(root, "escape"), []));
    }

    [Fact]
    public void A_root_named_through_a_link_allows_what_lies_under_its_target_as_a_real_path()
    {
        var real = Dir("real-root");
        var repository = Dir("real-root/app");
        var alias = Link("alias-root", real);
        Link("real-root/app-link", repository);

        Assert.Equal(repository, RealPaths.UnderAllowedRoot(Path.Combine(alias, "app"), [alias]));
        Assert.Equal(repository, RealPaths.UnderAllowedRoot(Path.Combine(real, "app-link"), [alias]));
        Assert.Equal(repository + "/not-yet", RealPaths.UnderAllowedRoot(Path.Combine(alias, "app", "not-yet"), [Path.Combine(_root, "nowhere"), alias]));
    }

    [Fact]
    public void A_path_whose_links_loop_is_not_allowed_under_any_root()
    {
        Link("ping", Path.Combine(_root, "pong"));
        Link("pong", Path.Combine(_root, "ping"));

        Assert.Null(RealPaths.UnderAllowedRoot(Path.Combine(_root, "ping", "repo"), [_root]));
    }

    [Theory]
    [InlineData("/srv/repos", "/srv/repos", true)]
    [InlineData("/srv/repos/app", "/srv/repos", true)]
    [InlineData("/srv/repos-evil/app", "/srv/repos", false)]
    [InlineData("/srv", "/srv/repos", false)]
    [InlineData("/anything", "/", true)]
    public void Under_a_root_means_the_root_or_inside_it_not_a_name_that_starts_alike(string path, string root, bool under) =>
        Assert.Equal(under, RealPaths.IsUnder(path, root));
}
