using Lifeline.Testing.Leaks;
using Lifeline.Testing.Xunit;
using Xunit;

[assembly: VerifyNoLeaks(TimeoutMilliseconds = 100)]

namespace Lifeline.Testing.Samples;

/// <summary>Shared with the test that runs these samples: what the leaky samples left behind, and how to end it.</summary>
public static class SampleControl
{
    private static readonly List<Task> s_leaked = [];

    public static CancellationTokenSource Release { get; private set; } = new();

    /// <summary>Holds the leaky and the clean sample until both have started their work, so they overlap.</summary>
    public static Barrier Overlap { get; private set; } = new(2);

    public static bool Overlapped { get; set; } = true;

    public static void Reset()
    {
        Release = new CancellationTokenSource();
        Overlap = new Barrier(2);
        Overlapped = true;
        lock (s_leaked)
        {
            s_leaked.Clear();
        }
    }

    public static void Leak(Task task)
    {
        lock (s_leaked)
        {
            s_leaked.Add(task);
        }
    }

    /// <summary>Ends every loop the samples leaked and waits for each.</summary>
    public static async Task EndLeaksAsync()
    {
        await Release.CancelAsync();
        Task[] leaked;
        lock (s_leaked)
        {
            leaked = [.. s_leaked];
        }

        foreach (var task in leaked)
        {
            try
            {
                await task.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (OperationCanceledException)
            {
                // The loops end by cancellation.
            }
        }
    }

    public static async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(TimeSpan.FromHours(1), cancellationToken);
        }
    }

    /// <summary>Same loop under another name: what no test can be blamed for (started with the flow suppressed).</summary>
    public static async Task OrphanLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(TimeSpan.FromHours(1), cancellationToken);
        }
    }

    public static void WaitForTheOther()
    {
        if (!Overlap.SignalAndWait(TimeSpan.FromSeconds(10)))
        {
            Overlapped = false;
        }
    }
}

public class LeakySamples
{
    [Fact]
    public async Task LeavesAHeartbeatLoopRunning()
    {
        SampleControl.Leak(SampleControl.HeartbeatLoopAsync(SampleControl.Release.Token));
        SampleControl.WaitForTheOther();
        await Task.Yield();
    }
}

public class CleanSamples
{
    [Fact]
    public async Task StopsWhatItStarts()
    {
        using var cts = new CancellationTokenSource();
        var loop = SampleControl.HeartbeatLoopAsync(cts.Token);
        SampleControl.WaitForTheOther();

        // Passing proves the clean twin ran while the leaky one had its loop running.
        Assert.True(SampleControl.Overlapped, "the leaky and the clean sample did not run at the same time");
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
    }
}

/// <summary>Work started in InitializeAsync and ended in DisposeAsync is not a leak: the check runs after the whole test.</summary>
public class LifetimeSamples : IAsyncLifetime
{
    private readonly CancellationTokenSource _cts = new();
    private Task _loop = Task.CompletedTask;

#if XUNIT_V3
    public ValueTask InitializeAsync()
#else
    public Task InitializeAsync()
#endif
    {
        _loop = SampleControl.HeartbeatLoopAsync(_cts.Token);
        return
#if XUNIT_V3
            default;
#else
            Task.CompletedTask;
#endif
    }

    [Fact]
    public void StopsInDisposeAsync() => Assert.False(_loop.IsCompleted);

#if XUNIT_V3
    public async ValueTask DisposeAsync()
#else
    public async Task DisposeAsync()
#endif
    {
        await _cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _loop);
        _cts.Dispose();
    }
}

public class TheorySamples
{
    public static TheoryData<int> Rows => new() { 1, 2 };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task InlineRow2Leaks(int row)
    {
        if (row == 2)
        {
            SampleControl.Leak(SampleControl.HeartbeatLoopAsync(SampleControl.Release.Token));
        }

        await Task.Yield();
    }

    [Theory]
    [MemberData(nameof(Rows), DisableDiscoveryEnumeration = true)]
    public async Task MemberRow2Leaks(int row)
    {
        if (row == 2)
        {
            SampleControl.Leak(SampleControl.HeartbeatLoopAsync(SampleControl.Release.Token));
        }

        await Task.Yield();
    }
}

public class OptionSamples
{
    [Fact]
    [LeakCheck(Enabled = false)]
    public void LeaksWithTheCheckOff() => SampleControl.Leak(SampleControl.HeartbeatLoopAsync(SampleControl.Release.Token));

    [Fact]
    [LeakCheck(IgnoreTopFunctions = ["SampleControl.HeartbeatLoopAsync"])]
    public void LeaksWhatItIgnores() => SampleControl.Leak(SampleControl.HeartbeatLoopAsync(SampleControl.Release.Token));

    [Fact]
    [LeakCheck(Timers = TimerCheck.Exclude)]
    public void LeavesATimerWithTimersExcluded() => SampleControl.Leak(HoldTimerAsync(SampleControl.Release.Token));

    [Fact]
    [LeakCheck(IgnoreAnyFunctions = ["SampleControl.HeartbeatLoopAsync"])]
    public void LeaksWhatItIgnoresAnywhereInTheChain() => SampleControl.Leak(SampleControl.HeartbeatLoopAsync(SampleControl.Release.Token));

    [Fact]
    public void LeavesATimer() => SampleControl.Leak(HoldTimerAsync(SampleControl.Release.Token));

    private static Task HoldTimerAsync(CancellationToken cancellationToken)
    {
        // Kept alive by the registration until released, then disposed.
        var timer = new Timer(_ => { }, null, TimeSpan.FromHours(1), TimeSpan.FromHours(1));
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cancellationToken.Register(() =>
        {
            timer.Dispose();
            done.TrySetResult();
        });
        return done.Task;
    }
}

/// <summary>A whole class with its check off: its work is its own, never reported, not even by the end-of-run check.</summary>
[LeakCheck(Enabled = false)]
public class OptedOutClassSamples
{
    [Fact]
    public void LeaksWithTheClassCheckOff() => SampleControl.Leak(SampleControl.HeartbeatLoopAsync(SampleControl.Release.Token));
}

/// <summary>Work started with the execution context suppressed belongs to no test: only the end-of-run check can see it.</summary>
public class UnattributableSamples
{
    [Fact]
    public void StartsALoopWithTheFlowSuppressed()
    {
        using (ExecutionContext.SuppressFlow())
        {
            SampleControl.Leak(Task.Run(() => SampleControl.OrphanLoopAsync(SampleControl.Release.Token)));
        }
    }
}

/// <summary>The runtime's task registry is on exactly when the verifier is (LIFELINE_LEAKS=off turns both off).</summary>
public class SwitchSamples
{
    [Fact]
    public void TheTaskRegistryFollowsTheSwitch()
    {
        var registry = typeof(Task).GetField("s_asyncDebuggingEnabled", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic)!;
        Assert.Equal(!LeakVerifier.IsOff, (bool)registry.GetValue(null)!);
        Assert.Equal(Environment.GetEnvironmentVariable("LIFELINE_LEAKS") == "off", LeakVerifier.IsOff);
    }

    /// <summary>An explicit scope (what NUnit and MSTest use) finds a loop left running when the verifier is on, and nothing when it is off.</summary>
    [Fact]
    public async Task AnExplicitScope_ChecksOnlyWhenTheVerifierIsOn()
    {
        using var cts = new CancellationTokenSource();
        var scope = LeakVerifier.CreateScope("SwitchSamples.Explicit", new LeakOptions { Timeout = TimeSpan.FromMilliseconds(50) });
        var loop = scope.RunAsync(() => SampleControl.HeartbeatLoopAsync(cts.Token));

        var report = await scope.VerifyAsync();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);

        Assert.Equal(!LeakVerifier.IsOff, report.HasLeaks);
    }
}
