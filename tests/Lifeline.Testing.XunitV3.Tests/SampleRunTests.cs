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
        var run = await SampleRun.RunAsync();

        // Failed tests (the leaky test, a theory row, a timer) and an error of the run make the program exit 1.
        Assert.Equal(1, run.ExitCode);
        SampleVerdicts.AssertTests(run.Failures, run.Passed);

        Assert.Equal(SampleVerdicts.EndOfRunError("Lifeline.Testing.XunitV3.Samples"), Assert.Single(run.Errors));
    }
}

/// <summary>One run of the sample program and its results.</summary>
internal sealed record SampleRun(int ExitCode, Dictionary<string, string> Failures, List<string> Passed, List<string> Errors)
{
    public static async Task<SampleRun> RunAsync()
    {
        var results = Path.Combine(Path.GetTempPath(), $"lifeline-v3-samples-{Guid.NewGuid():N}.xml");
        try
        {
            var (exitCode, output) = await ChildProcess.RunAsync(
                "dotnet",
                [ChildProcess.Metadata("SamplesPath"), "-maxThreads", "4", "-noColor", "-result-xml", results],
                TimeSpan.FromSeconds(120));
            Assert.True(File.Exists(results), output);
            var document = XDocument.Load(results);
            var tests = document.Descendants("test").ToList();
            return new SampleRun(
                exitCode,
                tests.Where(t => (string?)t.Attribute("result") == "Fail")
                    .ToDictionary(t => (string)t.Attribute("name")!, t => Message(t.Element("failure")!)),
                [.. tests.Where(t => (string?)t.Attribute("result") == "Pass").Select(t => (string)t.Attribute("name")!)],
                [.. document.Descendants("errors").Elements("error").Select(e => Message(e.Element("failure")!))]);
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
