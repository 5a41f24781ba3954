using Supervisor.Contracts;
using Supervisor.Rules;
using Supervisor.Rules.Failures;

namespace Supervisor.Tests.Rules.Failures;

/// <summary>
/// The failure class of an attempt from its outcome and output, with the shipped patterns; the evidence strings are the
/// CLIs' own words (docs: agent-clis, "Evidence strings").
/// </summary>
public sealed class FailureClassifierSpecs
{
    static readonly Dictionary<string, List<string>> NoAgentPatterns = [];

    static ProcessOutcome Exited(int? code, int? signal = null) => new(code, false, false, signal, null, TimeSpan.FromSeconds(3));

    static Classification Classify(string stderr, string stdout = "", int? exitCode = 1, IReadOnlyDictionary<string, List<string>>? agentPatterns = null) =>
        FailureClassifier.Classify(agentPatterns ?? NoAgentPatterns, ShippedPatterns.Defaults, Exited(exitCode), stdout, stderr);

    [Theory]
    [InlineData("rate_limit_error")]
    [InlineData("""{"type":"assistant","error":"rate_limit"}""")]
    [InlineData("Request rejected (429)")]
    [InlineData("429 Too Many Requests")]
    [InlineData("rate_limit_exceeded")]
    [InlineData("RESOURCE_EXHAUSTED")]
    [InlineData("Resource has been exhausted (e.g. check quota).")]
    public void A_rate_limit_in_the_agents_words_is_RateLimited(string evidence) =>
        Assert.Equal(ErrorClasses.RateLimited, Classify(evidence).ErrorClass);

    [Theory]
    [InlineData("billing_error")]
    [InlineData("Credit balance is too low")]
    [InlineData("Quota exceeded. Check your plan and billing details")]
    [InlineData("insufficient_quota")]
    [InlineData("You have exhausted your daily quota on this model.")]
    [InlineData("QuotaFailure")]
    public void An_exhausted_quota_is_Fatal_because_waiting_does_not_refill_it(string evidence) =>
        Assert.Equal(ErrorClasses.Fatal, Classify(evidence).ErrorClass);

    [Fact]
    public void An_exhausted_quota_wins_over_the_429_that_carries_it() =>
        Assert.Equal(ErrorClasses.Fatal, Classify("429 Too Many Requests: insufficient_quota").ErrorClass);

    [Theory]
    [InlineData("authentication_failed")]
    [InlineData("Invalid API key · Please run /login")]
    [InlineData("401 Unauthorized")]
    [InlineData("UNAUTHENTICATED")]
    [InlineData("API_KEY_INVALID")]
    [InlineData("API key not valid. Please pass a valid API key.")]
    [InlineData("Not logged in · Please run /login")]
    [InlineData("You didn't provide an API key.")]
    [InlineData("Invalid auth method selected.")]
    [InlineData("Not inside a trusted directory")]
    [InlineData("Missing environment variable OPENAI_API_KEY")]
    [InlineData("--dangerously-skip-permissions cannot be used with root/sudo privileges")]
    [InlineData("--output-format=stream-json requires --verbose")]
    public void An_authentication_or_configuration_error_is_Fatal(string evidence) =>
        Assert.Equal(ErrorClasses.Fatal, Classify(evidence).ErrorClass);

    [Theory]
    [InlineData("overloaded_error")]
    [InlineData("529 Overloaded")]
    [InlineData("Selected model is at capacity. Please try a different model.")]
    [InlineData("server_is_overloaded")]
    [InlineData("UNAVAILABLE")]
    [InlineData("API Error: 500")]
    [InlineData("Internal server error")]
    [InlineData("We’re currently experiencing high demand, which may cause temporary errors.")]
    [InlineData("""{"status":"INTERNAL"}""")]
    [InlineData("Connection to the API was lost")]
    [InlineData("ECONNRESET")]
    [InlineData("stream disconnected before completion")]
    [InlineData("other side closed")]
    [InlineData("Unable to connect to API (ConnectionRefused)")]
    [InlineData("ConnectionRefused")]
    [InlineData("Reconnecting... waiting for network")]
    [InlineData("TypeError: fetch failed sending request")]
    public void An_overloaded_provider_or_a_lost_connection_is_Retryable(string evidence) =>
        Assert.Equal(ErrorClasses.Retryable, Classify(evidence).ErrorClass);

    [Fact]
    public void Evidence_on_stdout_counts_as_much_as_on_stderr()
    {
        var classification = Classify(stderr: "", stdout: """{"type":"result","is_error":true,"result":"API Error: 429 rate_limit_error"}""");

        Assert.Equal(ErrorClasses.RateLimited, classification.ErrorClass);
        Assert.Contains("rate_limit_error", classification.Message);
    }

    [Theory]
    [InlineData(173, ErrorClasses.RateLimited)]
    [InlineData(145, ErrorClasses.Fatal)]
    [InlineData(144, ErrorClasses.Fatal)]
    [InlineData(41, ErrorClasses.Fatal)]
    [InlineData(55, ErrorClasses.Fatal)]
    [InlineData(244, ErrorClasses.Retryable)]
    [InlineData(247, ErrorClasses.Retryable)]
    public void A_gemini_exit_code_that_is_an_http_status_is_classified_by_the_agents_own_patterns(int exitCode, string errorClass) =>
        Assert.Equal(errorClass, Classify("", exitCode: exitCode, agentPatterns: ShippedPatterns.Of("gemini")).ErrorClass);

    [Fact]
    public void The_agents_own_patterns_are_tried_before_the_defaults_of_the_same_class()
    {
        var agentPatterns = new Dictionary<string, List<string>> { [ErrorClasses.Fatal] = ["(?i)license expired"] };

        var classification = Classify("error: license expired", agentPatterns: agentPatterns);

        Assert.Equal(new Classification(ErrorClasses.Fatal, "error: license expired"), classification);
    }

    [Fact]
    public void An_Invalid_pattern_wins_over_every_other_class()
    {
        var agentPatterns = new Dictionary<string, List<string>> { [ErrorClasses.Invalid] = ["no such ref"] };

        Assert.Equal(ErrorClasses.Invalid, Classify("429 Too Many Requests\nno such ref", agentPatterns: agentPatterns).ErrorClass);
    }

    [Fact]
    public void A_program_that_could_not_start_is_Fatal()
    {
        var outcome = new ProcessOutcome(null, false, false, null, "image 'img' is not on the Docker engine", TimeSpan.Zero);

        var classification = FailureClassifier.Classify(NoAgentPatterns, ShippedPatterns.Defaults, outcome, "", "connection refused");

        Assert.Equal(new Classification(ErrorClasses.Fatal, "image 'img' is not on the Docker engine"), classification);
    }

    [Fact]
    public void A_run_past_its_timeout_is_a_Timeout_whatever_the_output_says()
    {
        var outcome = new ProcessOutcome(null, true, false, 9, null, TimeSpan.FromSeconds(60));

        var classification = FailureClassifier.Classify(NoAgentPatterns, ShippedPatterns.Defaults, outcome, "", "429 Too Many Requests");

        Assert.Equal(ErrorClasses.Timeout, classification.ErrorClass);
        Assert.Contains("no result within 60s", classification.Message);
    }

    [Fact]
    public void A_crashed_container_is_a_ContainerCrash_whatever_the_output_says()
    {
        var outcome = new ProcessOutcome(137, false, false, 9, null, TimeSpan.FromSeconds(1), "out of memory: the container exceeded its 64 MB limit");

        var classification = FailureClassifier.Classify(NoAgentPatterns, ShippedPatterns.Defaults, outcome, "", "connection refused");

        Assert.Equal(ErrorClasses.ContainerCrash, classification.ErrorClass);
        Assert.Contains("out of memory", classification.Message);
    }

    [Fact]
    public void A_process_killed_by_a_signal_without_known_evidence_is_a_ContainerCrash()
    {
        var classification = FailureClassifier.Classify(NoAgentPatterns, ShippedPatterns.Defaults, Exited(137, signal: 9), "", "");

        Assert.Equal(new Classification(ErrorClasses.ContainerCrash, "killed by signal 9"), classification);
    }

    [Fact]
    public void An_unknown_failure_is_an_AgentFailure_that_quotes_the_last_line_of_stderr() =>
        Assert.Equal(new Classification(ErrorClasses.AgentFailure, "exited with code 2: fatal: something odd"),
            Classify("warming up\nfatal: something odd\n", stdout: "last stdout line", exitCode: 2));

    [Fact]
    public void An_unknown_failure_without_stderr_quotes_the_last_line_of_stdout() =>
        Assert.Equal(new Classification(ErrorClasses.AgentFailure, "exited with code 3: gave up"), Classify("", stdout: "working\ngave up\n", exitCode: 3));

    [Fact]
    public void The_evidence_quoted_is_cut_to_300_characters()
    {
        var classification = Classify("ECONNRESET " + new string('x', 500));

        Assert.Equal(301, classification.Message.Length);
        Assert.EndsWith("…", classification.Message);
    }
}
