using System.Xml.Linq;

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
        Assert.Equal(
            "Lifeline.Testing.Leaks.LeakException : found 1 unexpected pending operation started by LeakySamples.LeavesAHeartbeatLoopRunning: [async] SampleControl.HeartbeatLoopAsync awaiting Task.Delay",
            run.Failures["Lifeline.Testing.Samples.LeakySamples.LeavesAHeartbeatLoopRunning"]);
        Assert.Equal(
            "Lifeline.Testing.Leaks.LeakException : found 1 unexpected pending operation started by TheorySamples.InlineRow2Leaks(row: 2): [async] SampleControl.HeartbeatLoopAsync awaiting Task.Delay",
            run.Failures["Lifeline.Testing.Samples.TheorySamples.InlineRow2Leaks(row: 2)"]);
        Assert.Equal(
            "Lifeline.Testing.Leaks.LeakException : found 1 unexpected pending operation started by TheorySamples.MemberRow2Leaks(row: 2): [async] SampleControl.HeartbeatLoopAsync awaiting Task.Delay",
            run.Failures["Lifeline.Testing.Samples.TheorySamples.MemberRow2Leaks(row: 2)"]);
        Assert.Equal(
            "Lifeline.Testing.Leaks.LeakException : found 1 unexpected pending operation started by OptionSamples.LeavesATimer: [timer] OptionSamples.HoldTimerAsync.lambda (every 3600000 ms)",
            run.Failures["Lifeline.Testing.Samples.OptionSamples.LeavesATimer"]);
        Assert.Equal(4, run.Failures.Count);

        // The clean twin asserts it overlapped the leaky test; the opt-outs pass.
        Assert.Equivalent(
            new[]
            {
                "Lifeline.Testing.Samples.CleanSamples.StopsWhatItStarts",
                "Lifeline.Testing.Samples.LifetimeSamples.StopsInDisposeAsync",
                "Lifeline.Testing.Samples.TheorySamples.InlineRow2Leaks(row: 1)",
                "Lifeline.Testing.Samples.TheorySamples.MemberRow2Leaks(row: 1)",
                "Lifeline.Testing.Samples.OptionSamples.LeaksWithTheCheckOff",
                "Lifeline.Testing.Samples.OptionSamples.LeaksWhatItIgnores",
                "Lifeline.Testing.Samples.OptionSamples.LeaksWhatItIgnoresAnywhereInTheChain",
                "Lifeline.Testing.Samples.OptionSamples.LeavesATimerWithTimersExcluded",
                "Lifeline.Testing.Samples.OptedOutClassSamples.LeaksWithTheClassCheckOff",
                "Lifeline.Testing.Samples.UnattributableSamples.StartsALoopWithTheFlowSuppressed",
            },
            run.Passed);

        // The end-of-run check names only what no test can be blamed for.
        Assert.Equal(
            "Lifeline.Testing.Leaks.LeakException : found 1 unexpected pending operation started by the test run of Lifeline.Testing.XunitV3.Samples (end-of-run check): [async] SampleControl.OrphanLoopAsync awaiting Task.Delay",
            Assert.Single(run.Errors));
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
                    .ToDictionary(t => (string)t.Attribute("name")!, t => (string)t.Element("failure")!.Element("message")!),
                [.. tests.Where(t => (string?)t.Attribute("result") == "Pass").Select(t => (string)t.Attribute("name")!)],
                [.. document.Descendants("errors").Elements("error").Select(e => (string)e.Element("failure")!.Element("message")!)]);
        }
        finally
        {
            File.Delete(results);
        }
    }
}
