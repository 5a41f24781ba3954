using System.Text;
using Supervisor.Rules.Redaction;

namespace Supervisor.Tests.Rules.Redaction;

public sealed class SecretRedactorSpecs
{
    const string Configured = "hunter2-correct-horse-battery";

    public static TheoryData<string> Secrets() => new()
    {
        Configured,
        "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-xyz",
        "sk-proj-0123456789abcdefABCDEF",
        "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        "AKIAIOSFODNN7EXAMPLE",
        "AIzaSyA1234567890abcdefghijklmnopqrstuv",
        "xoxb-1234567890-abcdefghijKLMNOP",
        "Bearer abcdefghijklmnop.qrstuvwxyz~+/=",
        "bearer   0123456789abcdef0123",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    };

    [Theory]
    [MemberData(nameof(Secrets))]
    public void A_secret_split_at_any_position_of_two_chunks_is_never_emitted(string secret)
    {
        var text = $"key: {secret} (done)\n";

        for (var i = 0; i <= text.Length; i++)
        {
            Assert.Equal("key: [REDACTED] (done)\n", Run([text[..i], text[i..]]));
        }
    }

    [Theory]
    [MemberData(nameof(Secrets))]
    public void A_secret_split_at_any_two_positions_of_three_chunks_is_never_emitted(string secret)
    {
        var text = $"key: {secret} (done)\n";

        for (var i = 0; i <= text.Length; i++)
        {
            for (var j = i; j <= text.Length; j++)
            {
                Assert.Equal("key: [REDACTED] (done)\n", Run([text[..i], text[i..j], text[j..]]));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Secrets))]
    public void A_secret_pushed_one_character_at_a_time_is_never_emitted(string secret)
    {
        var text = $"{secret} {secret} and {secret}\n";

        var output = Run(text.Select(c => c.ToString()));

        Assert.Equal("[REDACTED] [REDACTED] and [REDACTED]\n", output);
    }

    [Fact]
    public void Text_released_before_a_secret_is_complete_holds_no_piece_of_it()
    {
        // Whatever Push released before the secret was complete must not start it: nothing of it may leak early.
        var text = $"before {Configured} after";
        for (var i = 1; i < "before ".Length + Configured.Length; i++)
        {
            var redactor = new SecretRedactor([Configured]);
            var early = redactor.Push(text[..i]);

            Assert.True("before ".StartsWith(early, StringComparison.Ordinal), $"released '{early}' from '{text[..i]}'");
            Assert.Equal("before [REDACTED] after", early + redactor.Push(text[i..]) + redactor.Flush());
        }
    }

    [Fact]
    public void Text_without_secrets_passes_through_unchanged()
    {
        var random = new Random(42);
        var text = string.Concat(Enumerable.Range(0, 2000).Select(i => $"line {i}: sk gh AKI eyJ Bear risk-assessment-document-v2 task-0123456789abcdefgh é😀\n"));

        for (var round = 0; round < 50; round++)
        {
            var chunks = new List<string>();
            for (var position = 0; position < text.Length;)
            {
                var length = Math.Min(random.Next(1, 300), text.Length - position);
                chunks.Add(text.Substring(position, length));
                position += length;
            }

            Assert.Equal(text, Run(chunks, [Configured]));
        }
    }

    [Fact]
    public void Random_text_in_random_pieces_is_redacted_as_in_one_piece()
    {
        string[] fragments =
        [
            Configured, "hunter2", "sk-", "sk-ant-api03-0123456789abcdefXYZ", "risk-0123456789abcdefghij", "ghp_", "AKIA",
            "AKIAIOSFODNN7EXAMPLE", "eyJ", "eyJabcdefghij.klmnopqrst.uvwxyz0123", "Bearer", "bearer ", "0123456789abcdefghij",
            " ", "\n", "=", ".", "-", "_", "word", "é😀", "xoxb-", "xoxp-0123456789ab", "AIza", "github_pat_",
        ];
        var random = new Random(7);

        for (var round = 0; round < 2000; round++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(1, 30)).Select(_ => fragments[random.Next(fragments.Length)]));
            var cuts = Enumerable.Range(0, random.Next(0, 6)).Select(_ => random.Next(text.Length + 1)).Append(0).Append(text.Length).Distinct().Order().ToArray();
            var chunks = cuts.Zip(cuts.Skip(1), (from, to) => text[from..to]);

            var whole = Run([text]);
            var pieces = Run(chunks);

            Assert.True(Normalise(whole) == Normalise(pieces), $"text: {text}\nwhole:  {whole}\npieces: {pieces}");
            Assert.DoesNotContain(Configured, pieces, StringComparison.Ordinal);
        }

        // Adjacent matches are one marker when found together and several when the cut fell between them.
        static string Normalise(string text)
        {
            while (text.Contains("[REDACTED][REDACTED]", StringComparison.Ordinal))
            {
                text = text.Replace("[REDACTED][REDACTED]", "[REDACTED]", StringComparison.Ordinal);
            }

            return text;
        }
    }

    [Fact]
    public void Ordinary_text_is_released_at_once()
    {
        var redactor = new SecretRedactor([Configured]);

        Assert.Equal("compiling project...\n", redactor.Push("compiling project...\n"));
        Assert.Equal("progress 42%", redactor.Push("progress 42%"));
    }

    [Fact]
    public void A_possible_start_of_a_secret_is_held_until_decided()
    {
        var redactor = new SecretRedactor([Configured]);

        Assert.Equal("password: ", redactor.Push("password: hunter2-corr"));
        Assert.Equal("hunter2-corrupt\n", redactor.Push("upt\n"));
        Assert.Equal("token ", redactor.Push("token sk-ant-api03-abc"));
        Assert.Equal("[REDACTED] ok", redactor.Push("defghijklmnopqrstuvwxyz ok") + redactor.Flush());
    }

    [Fact]
    public void The_word_bearer_in_prose_is_held_only_while_a_token_could_follow()
    {
        var redactor = new SecretRedactor([]);

        Assert.Equal("the ", redactor.Push("the bearer "));
        Assert.Equal("the bearer of good news\n", "the " + redactor.Push("of good news\n"));
    }

    [Fact]
    public void Secrets_shorter_than_four_characters_are_ignored()
    {
        Assert.Equal("abc is fine, the secret is [REDACTED]", Run(["abc is fine, the secret is ", "abcd"], ["abc", "", "abcd"]));
    }

    [Fact]
    public void Overlapping_secrets_are_redacted_as_one()
    {
        Assert.Equal("x [REDACTED] y", Run(["x abcdef", "ghij y"], ["abcdefgh", "efghij"]));
    }

    [Fact]
    public void An_endless_token_like_run_is_not_held_without_bound()
    {
        var redactor = new SecretRedactor([]);
        var released = new StringBuilder();

        released.Append(redactor.Push("data: eyJ"));
        for (var i = 0; i < 100; i++)
        {
            released.Append(redactor.Push(new string('A', 1000)));
        }

        Assert.True(released.Length > 50_000, $"only {released.Length} characters released");
    }

    [Theory]
    [MemberData(nameof(Secrets))]
    public void A_stored_text_keeps_no_credential_shaped_token(string secret)
    {
        var redacted = SecretRedactor.RedactCredentials($"prompt: use {secret} here");

        if (secret == Configured)
            Assert.Equal($"prompt: use {secret} here", redacted); // a configured value is the worker's to know; stored texts know shapes only
        else
            Assert.Equal("prompt: use [REDACTED] here", redacted);
    }

    [Fact]
    public void A_stored_text_longer_than_the_hold_back_is_redacted_whole_and_null_stays_null()
    {
        var text = new string('x', 40_000) + " ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 " + new string('y', 40_000);

        Assert.Equal(new string('x', 40_000) + " [REDACTED] " + new string('y', 40_000), SecretRedactor.RedactCredentials(text));
        Assert.Null(SecretRedactor.RedactCredentials(null));
        Assert.Equal("risk-assessment-document", SecretRedactor.RedactCredentials("risk-assessment-document"));
    }

    static string Run(IEnumerable<string> chunks, string[]? secrets = null)
    {
        var redactor = new SecretRedactor(secrets ?? [Configured]);
        var output = new StringBuilder();
        foreach (var chunk in chunks)
        {
            output.Append(redactor.Push(chunk));
        }

        return output.Append(redactor.Flush()).ToString();
    }
}
