namespace Lifeline.Testing.Samples;

/// <summary>
/// The verdict every sample must get, whichever xunit ran it: compiled into the xunit 2 integration's tests (which run
/// the samples in-process) and the xunit.v3 integration's (which run them as a child program and read its XML), so the
/// two flavours are held to one list. Not compiled into the samples themselves.
/// </summary>
internal static class SampleVerdicts
{
    /// <summary>The failing samples, each with its whole failure message.</summary>
    public static readonly IReadOnlyDictionary<string, string> Failures = new Dictionary<string, string>
    {
        ["Lifeline.Testing.Samples.LeakySamples.LeavesAHeartbeatLoopRunning"] =
            "found 1 unexpected pending operation started by LeakySamples.LeavesAHeartbeatLoopRunning: [async] SampleControl.HeartbeatLoopAsync awaiting Task.Delay",
        ["Lifeline.Testing.Samples.TheorySamples.InlineRow2Leaks(row: 2)"] =
            "found 1 unexpected pending operation started by TheorySamples.InlineRow2Leaks(row: 2): [async] SampleControl.HeartbeatLoopAsync awaiting Task.Delay",
        ["Lifeline.Testing.Samples.TheorySamples.MemberRow2Leaks(row: 2)"] =
            "found 1 unexpected pending operation started by TheorySamples.MemberRow2Leaks(row: 2): [async] SampleControl.HeartbeatLoopAsync awaiting Task.Delay",
        ["Lifeline.Testing.Samples.OptionSamples.LeavesATimer"] =
            "found 1 unexpected pending operation started by OptionSamples.LeavesATimer: [timer] OptionSamples.HoldTimerAsync.lambda (every 3600000 ms)",
    };

    /// <summary>The passing samples: the clean twin (it asserts that it overlapped the leaky test) and every opt-out.</summary>
    public static readonly IReadOnlyList<string> Passed =
    [
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
        "Lifeline.Testing.Samples.SwitchSamples.TheTaskRegistryFollowsTheSwitch",
        "Lifeline.Testing.Samples.SwitchSamples.AnExplicitScope_ChecksOnlyWhenTheVerifierIsOn",
    ];

    /// <summary>The one error of the run: the end-of-run check names only what no test can be blamed for.</summary>
    public static string EndOfRunError(string assemblyName) =>
        $"found 1 unexpected pending operation started by the test run of {assemblyName} (end-of-run check): [async] SampleControl.OrphanLoopAsync awaiting Task.Delay";

    /// <summary>Asserts every sample's verdict: exactly the leaky ones failed, each naming itself and what it left; the rest passed.</summary>
    public static void AssertTests(IReadOnlyDictionary<string, string> failures, IEnumerable<string> passed)
    {
        foreach (var (test, message) in Failures)
        {
            Assert.True(failures.TryGetValue(test, out var actual), $"{test} did not fail");
            Assert.Equal(message, actual);
        }

        Assert.Equal(Failures.Count, failures.Count);
        Assert.Equivalent(Passed, passed.ToArray());
    }
}
