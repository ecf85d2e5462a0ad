using Lifeline.Testing.Time;
using Microsoft.Extensions.Time.Testing;

namespace Lifeline.Testing.Tests.Time;

/// <summary>
/// Issue 14: why <see cref="ManualTimeProvider"/> keeps its own clock instead of building on the ecosystem's
/// <see cref="FakeTimeProvider"/> (Microsoft.Extensions.TimeProvider.Testing 11.0.0). Each test runs one scenario on both
/// and asserts where they differ; a subclass of FakeTimeProvider cannot change any of these (Advance and SetUtcNow are
/// not virtual, and it fires timers from inside its own CreateTimer). If a FakeTimeProvider release closes a gap, the
/// test fails and the choice is worth revisiting (docs/testing.md).
/// </summary>
public class FakeTimeProviderComparisonTests
{
    /// <summary>
    /// A timer armed for "now" fires inside FakeTimeProvider.CreateTimer, on the arming thread, so under whatever lock the
    /// code under test holds while it arms (a real timer never runs its callback inside Change).
    /// </summary>
    [Fact]
    public void ZeroDueTimer_FakeFiresInsideCreateTimer_ManualOnTheNextAdvance()
    {
        var fake = new FakeTimeProvider();
        var manual = new ManualTimeProvider();
        var fakeFired = 0;
        var manualFired = 0;

        using var fakeTimer = fake.CreateTimer(_ => fakeFired++, null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        using var manualTimer = manual.CreateTimer(_ => manualFired++, null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);

        Assert.Equal(1, fakeFired);
        Assert.Equal(0, manualFired);
        manual.Advance(TimeSpan.Zero);
        Assert.Equal(1, manualFired);
    }

    /// <summary>A callback that reads the clock (to compute its next deadline) sees the due time here, the advance's end there.</summary>
    [Fact]
    public void CallbackReadingTheClock_FakeSeesTheEndOfTheAdvance_ManualSeesTheDueTime()
    {
        var fake = new FakeTimeProvider();
        var manual = new ManualTimeProvider();
        DateTimeOffset fakeSeen = default, manualSeen = default;
        using var fakeTimer = fake.CreateTimer(_ => fakeSeen = fake.GetUtcNow(), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using var manualTimer = manual.CreateTimer(_ => manualSeen = manual.GetUtcNow(), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

        fake.Advance(TimeSpan.FromSeconds(10));
        manual.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(fake.Start.AddSeconds(10), fakeSeen);
        Assert.Equal(ManualTimeProvider.DefaultStartTime.AddSeconds(1), manualSeen);
    }

    /// <summary>
    /// One throwing callback: FakeTimeProvider never fires a timer again (its wake-up gate stays closed), so every later
    /// test step that waits on time hangs; ManualTimeProvider fires the other timers and throws at the end of the advance.
    /// </summary>
    [Fact]
    public void ThrowingCallback_BreaksFakeForGood_ManualFiresTheRestAndThrowsAtTheEnd()
    {
        var fake = new FakeTimeProvider();
        var manual = new ManualTimeProvider();
        using var fakeBad = fake.CreateTimer(_ => throw new InvalidOperationException("bug"), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using var manualBad = manual.CreateTimer(_ => throw new InvalidOperationException("bug"), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        Assert.Throws<InvalidOperationException>(() => fake.Advance(TimeSpan.FromSeconds(1)));
        Assert.Throws<AggregateException>(() => manual.Advance(TimeSpan.FromSeconds(1)));

        var fakeLater = 0;
        var manualLater = 0;
        using var fakeTimer = fake.CreateTimer(_ => fakeLater++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using var manualTimer = manual.CreateTimer(_ => manualLater++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        fake.Advance(TimeSpan.FromSeconds(5));
        manual.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(0, fakeLater);
        Assert.Equal(1, manualLater);
    }

    /// <summary>
    /// FakeTimeProvider runs a callback under the advancing caller's ExecutionContext; ManualTimeProvider under the one
    /// captured at CreateTimer, as real timers do. The leak verifier attributes work by execution context, so work a timer
    /// starts is charged to the test that armed it, not to whoever advanced the clock.
    /// </summary>
    [Fact]
    public void Callback_FakeRunsUnderTheAdvancersContext_ManualUnderTheCreators()
    {
        var local = new AsyncLocal<string>();
        var fake = new FakeTimeProvider();
        var manual = new ManualTimeProvider();
        string? fakeSaw = null, manualSaw = null;

        local.Value = "creator";
        using var fakeTimer = fake.CreateTimer(_ => fakeSaw = local.Value, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using var manualTimer = manual.CreateTimer(_ => manualSaw = local.Value, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        local.Value = "advancer";
        fake.Advance(TimeSpan.FromSeconds(1));
        manual.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("advancer", fakeSaw);
        Assert.Equal("creator", manualSaw);
    }
}
