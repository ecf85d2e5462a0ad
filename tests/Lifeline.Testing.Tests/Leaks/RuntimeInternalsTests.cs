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

    /// <summary>
    /// A scan reads a timer's context first, through compiled field readers, and reads the rest only of the timers its
    /// filter keeps: the kept timer comes back whole (callback, state, schedule, context), the other scope's does not.
    /// </summary>
    [Fact]
    public void SnapshotTimers_ReadsWholeOnlyTheTimersTheFilterKeeps()
    {
        var mine = LeakVerifier.CreateScope("RuntimeInternalsTests.Mine");
        var theirs = LeakVerifier.CreateScope("RuntimeInternalsTests.Theirs");
        var state = new object();
        Timer kept;
        Timer other;
        using (mine.Enter())
        {
            kept = new Timer(Tick, state, TimeSpan.FromHours(1), TimeSpan.FromHours(2));
        }

        using (theirs.Enter())
        {
            other = new Timer(Tick, null, TimeSpan.FromHours(1), Timeout.InfiniteTimeSpan);
        }

        using (kept)
        using (other)
        {
            var timers = RuntimeInternals.SnapshotTimers(context => context is not null && ReferenceEquals(RuntimeInternals.ReadAsyncLocal(context, LeakScope.CurrentLocal), mine));

            var timer = Assert.Single(timers);
            Assert.Equal((Delegate)(TimerCallback)Tick, timer.Callback);
            Assert.Same(state, timer.State);
            Assert.Equal(3_600_000u, timer.DueTimeMs);
            Assert.Equal(7_200_000u, timer.PeriodMs);
            Assert.Same(mine, RuntimeInternals.ReadAsyncLocal(timer.Context!, LeakScope.CurrentLocal));
        }
    }

    private static void Tick(object? state)
    {
    }
}
