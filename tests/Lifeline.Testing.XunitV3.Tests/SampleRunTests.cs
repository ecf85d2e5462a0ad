using System.Xml.Linq;
using Lifeline.Testing.Samples;

namespace Lifeline.Testing.XunitV3.Tests;

/// <summary>
/// Runs the sample program (tests that leak on purpose, compiled for xunit.v3) under xunit.v3's in-process runner,
/// in parallel, as a child process, and checks the verdict on every sample from its XML results.
/// </summary>
public class SampleRunTests
{
    [Fact]
    public async Task SampleRun_FailsExactlyTheLeakyTests_NamingWhatEachLeft_AndTheRun()
    {
        // The verifier on, whatever this process's environment says.
        var run = await SampleRun.RunAsync(new Dictionary<string, string?> { ["LIFELINE_LEAKS"] = null });

        // Failed tests (the leaky test, a theory row, a timer) and an error of the run make the program exit 1.
        Assert.Equal(1, run.ExitCode);
        SampleVerdicts.AssertTests(run.Failures, run.Passed);

        Assert.Equal(SampleVerdicts.EndOfRunError("Lifeline.Testing.XunitV3.Samples"), Assert.Single(run.Errors));
        Assert.DoesNotContain("Lifeline leak verifier: OFF", run.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// LIFELINE_LEAKS=off (for measuring the verifier's cost): the same samples, leaky ones included, all pass, the
    /// run has no end-of-run error, the runtime's task registry stays off (SwitchSamples), and the run says so in
    /// exactly one line, never silently.
    /// </summary>
    [Fact]
    public async Task SampleRun_WithTheVerifierOff_ChecksNothing_AndSaysSoOnce()
    {
        var run = await SampleRun.RunAsync(new Dictionary<string, string?> { ["LIFELINE_LEAKS"] = "off" });

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Empty(run.Failures);
        Assert.Empty(run.Errors);
        Assert.Equivalent(SampleVerdicts.Failures.Keys.Concat(SampleVerdicts.Passed).ToArray(), run.Passed.ToArray());
        var offLines = run.Output.Split('\n').Where(line => line.Contains("Lifeline leak verifier: OFF", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            "Lifeline leak verifier: OFF (LIFELINE_LEAKS=off): no test of this run is checked for leaks, and the runtime's task registry is off. Unset it to verify.",
            Assert.Single(offLines).Trim());
    }
}

/// <summary>One run of the sample program and its results.</summary>
internal sealed record SampleRun(int ExitCode, Dictionary<string, string> Failures, List<string> Passed, List<string> Errors, string Output)
{
    public static async Task<SampleRun> RunAsync(IReadOnlyDictionary<string, string?>? environment = null)
    {
        var results = Path.Combine(Path.GetTempPath(), $"lifeline-v3-samples-{Guid.NewGuid():N}.xml");
        try
        {
            var (exitCode, output) = await ChildProcess.RunAsync(
                "dotnet",
                [ChildProcess.Metadata("SamplesPath"), "-maxThreads", "4", "-noColor", "-result-xml", results],
                TimeSpan.FromSeconds(120),
                environment);
            Assert.True(File.Exists(results), output);
            var document = XDocument.Load(results);
            var tests = document.Descendants("test").ToList();
            return new SampleRun(
                exitCode,
                tests.Where(t => (string?)t.Attribute("result") == "Fail")
                    .ToDictionary(t => (string)t.Attribute("name")!, t => Message(t.Element("failure")!)),
                [.. tests.Where(t => (string?)t.Attribute("result") == "Pass").Select(t => (string)t.Attribute("name")!)],
                [.. document.Descendants("errors").Elements("error").Select(e => Message(e.Element("failure")!))],
                output);
        }
        finally
        {
            File.Delete(results);
        }
    }

    /// <summary>A failure's message without the exception type xunit.v3 puts before it (the xunit 2 run reports it bare).</summary>
    private static string Message(XElement failure)
    {
        const string Prefix = "Lifeline.Testing.Leaks.LeakException : ";
        var message = (string)failure.Element("message")!;
        Assert.StartsWith(Prefix, message, StringComparison.Ordinal);
        return message[Prefix.Length..];
    }
}
