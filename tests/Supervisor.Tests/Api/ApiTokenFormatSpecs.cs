using Supervisor.Contracts;
using Supervisor.Service.Api;

namespace Supervisor.Tests.Api;

/// <summary>
/// The token format the CLI makes tokens by and the service checks them by (<see cref="ApiTokenFormat"/>), and the
/// service's configuration errors that name it.
/// </summary>
public sealed class ApiTokenFormatSpecs
{
    [Fact]
    public void A_token_is_stored_as_sha256_and_the_hex_of_its_digest_which_the_service_reads_back()
    {
        var stored = ApiTokenFormat.Hash("abc");

        Assert.Equal("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", stored);
        Assert.Equal(ApiTokenFormat.Digest("abc"), ApiTokenFormat.ParseHash(stored.ToUpperInvariant().Replace("SHA256:", "sha256:", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("sha256:ba7816bf")]
    [InlineData("sha256:zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    public void Anything_else_is_no_stored_token(string? stored) => Assert.Null(ApiTokenFormat.ParseHash(stored));

    [Theory]
    [InlineData("alice", true)]
    [InlineData("ci.bot_2@example-org", true)]
    [InlineData("", false)]
    [InlineData("alice smith", false)]
    [InlineData("élise", false)]
    public void A_name_is_1_to_64_ascii_letters_digits_and_a_few_marks(string name, bool valid) => Assert.Equal(valid, ApiTokenFormat.IsName(name));

    [Fact]
    public void A_name_of_65_characters_is_too_long() => Assert.False(ApiTokenFormat.IsName(new string('a', 65)));

    [Fact]
    public void The_services_roles_are_the_shared_roles_in_the_same_order() =>
        Assert.Equal(ApiTokenFormat.Roles, Enum.GetValues<ApiRole>().Order().Select(r => r.Name()));

    [Fact]
    public void A_misconfigured_token_is_refused_with_the_rule_it_breaks()
    {
        var options = new ApiOptions
        {
            Tokens = new(StringComparer.Ordinal)
            {
                ["bad name"] = new() { Hash = ApiTokenFormat.Hash("x"), Role = "viewer" },
                ["shared"] = new() { Hash = "sha256:00", Role = "owner" },
            },
        };

        Assert.Equal(
            [
                "Supervisor:Api:Tokens:bad name: a token's name is 1 to 64 letters, digits, '.', '_', '@' or '-'.",
                "Supervisor:Api:Tokens:shared: 'shared' is reserved (see Supervisor:Api:Token).",
                "Supervisor:Api:Tokens:shared:Hash: must be 'sha256:' and 64 hexadecimal digits (supervisor tokens new shared --role ROLE prints it).",
                "Supervisor:Api:Tokens:shared:Role: 'owner' is not one of viewer, submitter, approver, admin.",
            ],
            options.Validate());
    }
}
