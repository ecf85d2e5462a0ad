using Lifeline.Testing.Leaks;

namespace Lifeline.Testing.Tests.Leaks;

public class RuntimeInternalsTests
{
    /// <summary>
    /// Trips when a runtime update renames or removes an internal the verifier reads (Task.s_currentActiveTasks,
    /// TimerQueue._shortTimers, ...): the message names each missing member.
    /// </summary>
    [Fact]
    public void EveryRuntimeInternalTheVerifierReads_IsPresent()
    {
        Assert.True(RuntimeInternals.IsSupported, RuntimeInternals.UnsupportedReason);
        Assert.Empty(RuntimeInternals.MissingMembers);
        Assert.True(RuntimeInternals.IsTaskTrackingEnabled);
    }

    [Fact]
    public void UnsupportedRuntime_IsSaidOnceNotOncePerTest()
    {
        var diagnostics = new List<string>();
        var run = new LeakCheckRun(new AssemblyLeakSettings(), diagnostics.Add);

        var first = run.TakeUnsupportedFailure("unsupported runtime (test): Task.s_currentActiveTasks");
        var second = run.TakeUnsupportedFailure("unsupported runtime (test): Task.s_currentActiveTasks");

        Assert.NotNull(first);
        Assert.StartsWith("unsupported runtime", first.Message, StringComparison.Ordinal);
        Assert.Null(second);
        Assert.Contains("unsupported runtime", Assert.Single(diagnostics), StringComparison.Ordinal);
    }
}
