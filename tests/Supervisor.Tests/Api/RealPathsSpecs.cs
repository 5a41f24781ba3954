using Supervisor.Service.Api;

namespace Supervisor.Tests.Api;

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

    [Theory]
    [InlineData("/srv/repos", "/srv/repos", true)]
    [InlineData("/srv/repos/app", "/srv/repos", true)]
    [InlineData("/srv/repos-evil/app", "/srv/repos", false)]
    [InlineData("/srv", "/srv/repos", false)]
    [InlineData("/anything", "/", true)]
    public void Under_a_root_means_the_root_or_inside_it_not_a_name_that_starts_alike(string path, string root, bool under) =>
        Assert.Equal(under, RealPaths.IsUnder(path, root));
}
