using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

namespace Lifeline.Testing.Tests.Time;

public class ManualTimeProviderTests
{
    private static readonly DateTimeOffset Start = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Clock_StartsWhereToldAndMovesOnlyOnAdvance()
    {
        var time = new ManualTimeProvider(Start);
        var stamp = time.GetTimestamp();

        Assert.Equal(Start, time.GetUtcNow());
        time.Advance(TimeSpan.FromSeconds(90));

        Assert.Equal(Start.AddSeconds(90), time.GetUtcNow());
        Assert.Equal(TimeSpan.FromSeconds(90), time.GetElapsedTime(stamp));
        Assert.Equal(TimeZoneInfo.Utc, time.LocalTimeZone);
    }

    [Fact]
    public void GetLocalNow_UsesTheGivenZone()
    {
        var zone = TimeZoneInfo.CreateCustomTimeZone("Plus2", TimeSpan.FromHours(2), "Plus2", "Plus2");
        var time = new ManualTimeProvider(Start, zone);

        Assert.Same(zone, time.LocalTimeZone);
        Assert.Equal(TimeSpan.FromHours(2), time.GetLocalNow().Offset);
        Assert.Equal(Start, time.GetLocalNow());
    }

    [Fact]
    public void SetUtcNow_Backwards_Throws()
    {
        var time = new ManualTimeProvider(Start);
        time.SetUtcNow(Start.AddMinutes(1));

        Assert.Throws<ArgumentOutOfRangeException>(() => time.SetUtcNow(Start));
        Assert.Throws<ArgumentOutOfRangeException>(() => time.Advance(TimeSpan.FromTicks(-1)));
        Assert.Equal(Start.AddMinutes(1), time.GetUtcNow());
    }

    [Fact]
    public void AutoAdvanceAmount_MovesTheClockAfterEachRead()
    {
        var time = new ManualTimeProvider(Start) { AutoAdvanceAmount = TimeSpan.FromSeconds(1) };

        Assert.Equal(Start, time.GetUtcNow());
        Assert.Equal(Start.AddSeconds(1), time.GetUtcNow());
        Assert.Throws<ArgumentOutOfRangeException>(() => time.AutoAdvanceAmount = TimeSpan.FromSeconds(-1));
    }

    [Fact]
    public void OneShotTimer_FiresOnceWhenDue_NotBefore()
    {
        var time = new ManualTimeProvider(Start);
        var fired = new List<DateTimeOffset>();
        using var timer = time.CreateTimer(_ => fired.Add(time.GetUtcNow()), null, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);

        time.Advance(TimeSpan.FromSeconds(4.999));
        Assert.Empty(fired);

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal([Start.AddSeconds(5)], fired);
        Assert.Equal(0, time.ActiveTimerCount);
    }

    [Fact]
    public void PeriodicTimer_FiresAsManyTimesAsDue_WithTheClockAtEachDueTime()
    {
        var time = new ManualTimeProvider(Start);
        var fired = new List<DateTimeOffset>();
        using var timer = time.CreateTimer(_ => fired.Add(time.GetUtcNow()), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        time.Advance(TimeSpan.FromSeconds(3.5));

        Assert.Equal([Start.AddSeconds(1), Start.AddSeconds(2), Start.AddSeconds(3)], fired);
        Assert.Equal(Start.AddSeconds(3.5), time.GetUtcNow());
        Assert.Equal(TimeSpan.FromSeconds(0.5), time.NextDueIn);
    }

    [Fact]
    public void Advance_FiresTimersInDueTimeOrder_TiesInArmingOrder()
    {
        var time = new ManualTimeProvider(Start);
        var order = new List<string>();
        using var late = time.CreateTimer(_ => order.Add("late"), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        using var early = time.CreateTimer(_ => order.Add("early"), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using var tie = time.CreateTimer(_ => order.Add("tie"), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);

        time.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(["early", "late", "tie"], order);
    }

    [Fact]
    public void Change_And_Dispose_RearmDisarmAndStopTheTimer()
    {
        var time = new ManualTimeProvider(Start);
        var count = 0;
        var timer = time.CreateTimer(_ => count++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

        Assert.True(timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
        Assert.Equal(0, time.ActiveTimerCount);
        Assert.Null(time.NextDueIn);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, count);

        Assert.True(timer.Change(TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan));
        Assert.Equal(TimeSpan.FromSeconds(2), time.NextDueIn);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, count);

        timer.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        timer.Dispose();
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, count);
        Assert.False(timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        Assert.Throws<ArgumentOutOfRangeException>(() => time.CreateTimer(_ => { }, null, TimeSpan.FromSeconds(-2), Timeout.InfiniteTimeSpan));
    }

    [Fact]
    public async Task DisposeAsync_StopsTheTimer()
    {
        var time = new ManualTimeProvider(Start);
        var count = 0;
        var timer = time.CreateTimer(_ => count++, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        await timer.DisposeAsync();
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(0, count);
        Assert.Equal(0, time.ActiveTimerCount);
    }

    [Fact]
    public void Callback_CanChangeItsOwnTimerAndAdvance_WithoutDeadlock()
    {
        var time = new ManualTimeProvider(Start);
        var fired = 0;
        ITimer? timer = null;
        timer = time.CreateTimer(
            _ =>
            {
                fired++;
                timer!.Change(TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);
                _ = time.GetUtcNow();
            },
            null,
            TimeSpan.FromSeconds(1),
            Timeout.InfiniteTimeSpan);

        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(1, fired);
        Assert.Equal(TimeSpan.FromSeconds(6), time.NextDueIn);
        timer.Dispose();
    }

    [Fact]
    public void CallbackExceptions_DoNotStopOtherTimers_AndAreThrownAtTheEnd()
    {
        var time = new ManualTimeProvider(Start);
        var fired = false;
        using var bad = time.CreateTimer(_ => throw new InvalidOperationException("boom"), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using var good = time.CreateTimer(_ => fired = true, null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);

        var error = Assert.Throws<AggregateException>(() => time.Advance(TimeSpan.FromSeconds(3)));

        Assert.IsType<InvalidOperationException>(Assert.Single(error.InnerExceptions));
        Assert.True(fired);
        Assert.Equal(Start.AddSeconds(3), time.GetUtcNow());
    }

    [Fact]
    public void Callback_RunsUnderTheExecutionContextCapturedAtCreateTimer()
    {
        var time = new ManualTimeProvider(Start);
        var local = new AsyncLocal<string>();
        string? seen = "unset";
        string? seenSuppressed = "unset";

        local.Value = "creator";
        using var timer = time.CreateTimer(_ => seen = local.Value, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        ITimer suppressed;
        using (ExecutionContext.SuppressFlow())
        {
            suppressed = time.CreateTimer(_ => seenSuppressed = local.Value, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        }

        local.Value = "advancer";
        time.Advance(TimeSpan.FromSeconds(1));
        suppressed.Dispose();

        Assert.Equal("creator", seen);
        Assert.Equal("advancer", seenSuppressed);
    }

    [Fact]
    public async Task WaitForTimersAsync_CompletesWhenAnotherTaskArmsATimer()
    {
        var time = new ManualTimeProvider(Start);
        var wait = time.WaitForTimersAsync(2);
        Assert.False(wait.IsCompleted);

        var delays = Task.Run(() => Task.WhenAll(
            Task.Delay(TimeSpan.FromSeconds(1), time),
            Task.Delay(TimeSpan.FromSeconds(2), time)));

        await wait.OrTimeout();
        Assert.Equal(2, time.ActiveTimerCount);
        Assert.Equal(TimeSpan.FromSeconds(1), time.NextDueIn);

        time.Advance(TimeSpan.FromSeconds(2));
        await delays.OrTimeout();
        Assert.Equal(0, time.ActiveTimerCount);
    }

    [Fact]
    public async Task WaitForTimersAsync_Cancelled_Throws()
    {
        var time = new ManualTimeProvider(Start);
        using var cts = new CancellationTokenSource();
        var wait = time.WaitForTimersAsync(1, cts.Token);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.OrTimeout());
    }

    [Fact]
    public async Task TaskDelay_CompletesOnlyAfterAdvance()
    {
        var time = new ManualTimeProvider(Start);
        var delay = Task.Delay(TimeSpan.FromSeconds(30), time);

        time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(delay.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(1));
        await delay.OrTimeout();
    }

    [Fact]
    public async Task TaskDelay_CancelledBeforeDue_IsCancelledAndDisarmsItsTimer()
    {
        var time = new ManualTimeProvider(Start);
        using var cts = new CancellationTokenSource();
        var delay = Task.Delay(TimeSpan.FromSeconds(30), time, cts.Token);
        Assert.Equal(1, time.ActiveTimerCount);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => delay.OrTimeout());
        Assert.Equal(0, time.ActiveTimerCount);
    }

    [Fact]
    public void CancellationTokenSource_WithProvider_CancelsWhenTimeAdvances()
    {
        var time = new ManualTimeProvider(Start);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10), time);

        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(cts.IsCancellationRequested);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(cts.IsCancellationRequested);
    }

    [Fact]
    public async Task PeriodicTimer_WithProvider_TicksOnAdvance()
    {
        var time = new ManualTimeProvider(Start);
        using var periodic = new PeriodicTimer(TimeSpan.FromSeconds(5), time);

        var first = periodic.WaitForNextTickAsync().AsTask();
        Assert.False(first.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(await first.OrTimeout());

        var second = periodic.WaitForNextTickAsync().AsTask();
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(await second.OrTimeout());

        periodic.Dispose();
        Assert.False(await periodic.WaitForNextTickAsync().OrTimeout());
        Assert.Equal(0, time.ActiveTimerCount);
    }

    [Fact]
    public async Task WaitAsync_WithProvider_TimesOutOnlyAfterAdvance()
    {
        var time = new ManualTimeProvider(Start);
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var guarded = never.Task.WaitAsync(TimeSpan.FromSeconds(3), time);

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(guarded.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<TimeoutException>(() => guarded.OrTimeout());
    }

    [Fact]
    public async Task ConcurrentAdvanceAndTimerCreation_LoseNoFiring()
    {
        var time = new ManualTimeProvider(Start);
        var fired = 0;
        var timers = new List<ITimer>();
        var creators = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            var mine = new List<ITimer>();
            for (var i = 0; i < 200; i++)
            {
                mine.Add(time.CreateTimer(_ => Interlocked.Increment(ref fired), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan));
                time.Advance(TimeSpan.FromMilliseconds(1));
            }

            return mine;
        })).ToArray();

        foreach (var list in await Task.WhenAll(creators).OrTimeout())
        {
            timers.AddRange(list);
        }

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(800, fired);
        Assert.Equal(0, time.ActiveTimerCount);
        timers.ForEach(t => t.Dispose());
    }

    [Fact]
    public async Task DocsExample_HeartbeatLoopOnAnotherThread_TicksOnAdvance()
    {
        var time = new ManualTimeProvider();
        using var cts = new CancellationTokenSource();
        var beats = 0;
        var firstBeat = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(15), time);
            while (await timer.WaitForNextTickAsync(cts.Token))
            {
                Interlocked.Increment(ref beats);
                firstBeat.TrySetResult();
            }
        });

        await time.WaitForTimersAsync(1).OrTimeout();
        Assert.Equal(TimeSpan.FromSeconds(15), time.NextDueIn);
        Assert.Equal(0, Volatile.Read(ref beats));
        time.Advance(TimeSpan.FromSeconds(15));

        await firstBeat.Task.OrTimeout();
        Assert.Equal(1, Volatile.Read(ref beats));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop.OrTimeout());
        Assert.Equal(0, time.ActiveTimerCount);
    }
}
