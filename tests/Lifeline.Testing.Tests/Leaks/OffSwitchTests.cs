using Lifeline.Testing.Leaks;

namespace Lifeline.Testing.Tests.Leaks;

/// <summary>
/// The off switch (LIFELINE_LEAKS=off) as a test run sees it, for both xunit flavours (they share LeakCheckRun): no scope,
/// no check, no end-of-run check, and one line saying so. The switch itself is read once per process, so the whole
/// off run (registry off, the line on standard error) is proved in a child process by the xunit.v3 integration's
/// SampleRunTests.SampleRun_WithTheVerifierOff_ChecksNothing_AndSaysSoOnce.
/// </summary>
public class OffSwitchTests
{
    [Theory]
    [InlineData("off", true)]
    [InlineData("OFF", true)]
    [InlineData(" off ", true)]
    [InlineData("0", true)]
    [InlineData("false", true)]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("on", false)]
    [InlineData("1", false)]
    [InlineData("of", false)]   // a typo leaves the verifier on: never unchecked by accident
    public void IsOffValue_OnlyAnExplicitOff_TurnsTheVerifierOff(string? value, bool off) =>
        Assert.Equal(off, LeakSwitch.IsOffValue(value));

    [Fact]
    public async Task RunOff_ALeakyTest_RunsWithoutAScopeOrACheck_AndTheRunSaysOnceThatItIsOff()
    {
        var diagnostics = new List<string>();
        var console = new List<string>();
        var failures = new List<Exception>();
        var run = new LeakCheckRun(new AssemblyLeakSettings(), diagnostics.Add, off: true, console.Add);
        using var cts = new CancellationTokenSource();
        var outer = LeakScope.Current;
        Task? leaked = null;

        var scopeInBody = await run.RunTestAsync("OffTests.LeavesALoopRunning", null, null, () =>
        {
            leaked = LoopAsync(cts.Token);
            return Task.FromResult(LeakScope.Current);
        }, failures.Add);
        var endOfRun = await run.VerifyEndOfRunAsync("OffTests");

        try
        {
            Assert.Same(outer, scopeInBody);
            Assert.Empty(failures);
            Assert.Null(endOfRun);
            Assert.Equal([LeakSwitch.OffMessage], diagnostics);
            Assert.Equal([LeakSwitch.OffMessage], console);
            Assert.StartsWith("Lifeline leak verifier: OFF (LIFELINE_LEAKS=", LeakSwitch.OffMessage, StringComparison.Ordinal);
        }
        finally
        {
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaked!.WaitAsync(TimeSpan.FromSeconds(10)));
        }
    }

    [Fact]
    public async Task RunOn_TheSameLeakyTest_Fails_AndNothingSaysOff()
    {
        var diagnostics = new List<string>();
        var console = new List<string>();
        var failures = new List<Exception>();
        var run = new LeakCheckRun(new AssemblyLeakSettings { Timeout = TimeSpan.FromMilliseconds(50) }, diagnostics.Add, off: false, console.Add);
        using var cts = new CancellationTokenSource();
        Task? leaked = null;

        await run.RunTestAsync("OnTests.LeavesALoopRunning", null, null, () =>
        {
            leaked = LoopAsync(cts.Token);
            return Task.FromResult(0);
        }, failures.Add);

        try
        {
            Assert.Equal(
                "found 1 unexpected pending operation started by OnTests.LeavesALoopRunning: [async] OffSwitchTests.LoopAsync awaiting Task.Delay",
                Assert.IsType<LeakException>(Assert.Single(failures)).Message);
            Assert.Empty(diagnostics);
            Assert.Empty(console);
        }
        finally
        {
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaked!.WaitAsync(TimeSpan.FromSeconds(10)));
        }
    }

    private static async Task LoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(TimeSpan.FromHours(1), cancellationToken);
        }
    }
}
