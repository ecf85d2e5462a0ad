using Lifeline.Testing.Leaks;

namespace Lifeline.Testing.Tests.Leaks;

/// <summary>The ignore options: by the top of the await chain, by any frame, and by what existed before (IgnoreCurrent).</summary>
public class IgnoreOptionsTests
{
    [Fact]
    public async Task IgnoreTopFunctions_MatchesTheOutermostMethodOnly()
    {
        using var cts = new CancellationTokenSource();
        var byTop = LeakVerifier.CreateScope("by-top", LeakKindsTests.Quick with { IgnoreTopFunctions = ["IgnoreOptionsTests.OuterAsync"] });
        var byInner = LeakVerifier.CreateScope("by-inner-as-top", LeakKindsTests.Quick with { IgnoreTopFunctions = ["IgnoreOptionsTests.InnerAsync"] });
        var first = byTop.RunAsync(() => OuterAsync(cts.Token));
        var second = byInner.RunAsync(() => OuterAsync(cts.Token));

        var ignored = await byTop.VerifyAsync();
        var reported = await byInner.VerifyAsync();

        Assert.False(ignored.HasLeaks, ignored.ToString());
        Assert.Equal(
            "found 1 unexpected pending operation started by by-inner-as-top: [async] IgnoreOptionsTests.OuterAsync → IgnoreOptionsTests.InnerAsync awaiting Task.Delay",
            reported.ToString());
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.WhenAll(first, second));
    }

    [Fact]
    public async Task IgnoreAnyFunctions_MatchesAnyFrameOfTheChain_ByNameFullNameOrPrefix()
    {
        using var cts = new CancellationTokenSource();
        var scopes = new[]
        {
            LeakVerifier.CreateScope("short", LeakKindsTests.Quick with { IgnoreAnyFunctions = ["IgnoreOptionsTests.InnerAsync"] }),
            LeakVerifier.CreateScope("full", LeakKindsTests.Quick with { IgnoreAnyFunctions = ["Lifeline.Testing.Tests.Leaks.IgnoreOptionsTests.InnerAsync"] }),
            LeakVerifier.CreateScope("prefix", LeakKindsTests.Quick with { IgnoreAnyFunctions = ["Lifeline.Testing.Tests.Leaks.IgnoreOptions*"] }),
        };
        var loops = scopes.Select(s => s.RunAsync(() => OuterAsync(cts.Token))).ToArray();

        foreach (var scope in scopes)
        {
            var report = await scope.VerifyAsync();
            Assert.False(report.HasLeaks, report.ToString());
        }

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.WhenAll(loops));
    }

    [Fact]
    public async Task IgnoreCurrent_IgnoresWhatWasPendingWhenTheScopeBegan()
    {
        using var before = new CancellationTokenSource();
        using var after = new CancellationTokenSource();
        var outer = LeakVerifier.CreateScope("outer", LeakKindsTests.Quick);
        var existing = outer.RunAsync(() => LeakKindsTests.DelayLoopAsync(before.Token));
        var inner = LeakVerifier.CreateScope("inner", LeakKindsTests.Quick with { IgnoreCurrent = true }, parent: outer);

        // Started under the outer scope but after the inner one began: owned by outer, not inner.
        var later = inner.RunAsync(() => LeakKindsTests.DelayLoopAsync(after.Token));
        var report = await inner.VerifyAsync();

        var operation = Assert.Single(report.Operations);
        Assert.Same(later, operation.Source);
        await before.CancelAsync();
        await after.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.WhenAll(existing, later));
    }

    [Fact]
    public async Task LazilyStartedProcessWideSingleton_IsHandledByAnIgnore()
    {
        var plain = LeakVerifier.CreateScope("plain", LeakKindsTests.Quick);
        var ignoring = LeakVerifier.CreateScope("ignoring", LeakKindsTests.Quick with { IgnoreTopFunctions = ["LazyTelemetry.PumpAsync"] });
        await plain.RunAsync(() => { LazyTelemetry.EnsureStarted(); return Task.CompletedTask; });
        try
        {
            // The first user of the singleton started it, so it is blamed on that scope unless ignored.
            var blamed = await plain.VerifyAsync();
            await ignoring.RunAsync(() => { LazyTelemetry.EnsureStarted(); return Task.CompletedTask; });
            var ignored = await ignoring.VerifyAsync();
            var ignoredInPlain = await LeakVerifier.CreateScope("x", LeakKindsTests.Quick with { IgnoreTopFunctions = ["LazyTelemetry.*"] }).VerifyAsync();

            Assert.Equal("[async] LazyTelemetry.PumpAsync awaiting Task.Delay", Assert.Single(blamed.Operations).ToString());
            Assert.False(ignored.HasLeaks, ignored.ToString());
            Assert.False(ignoredInPlain.HasLeaks);
        }
        finally
        {
            await LazyTelemetry.StopForTestsAsync();
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("Foo*Bar")]
    public void Validate_RejectsMalformedPatterns(string pattern)
    {
        var options = new LeakOptions { IgnoreTopFunctions = [pattern] };

        var thrown = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("Ignore pattern", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RejectsANegativeTimeout()
    {
        var thrown = Assert.Throws<ArgumentException>(() => LeakVerifier.CreateScope("x", new LeakOptions { Timeout = TimeSpan.FromSeconds(-1) }));
        Assert.Equal("Timeout", thrown.ParamName);
    }

    private static async Task OuterAsync(CancellationToken cancellationToken) => await InnerAsync(cancellationToken);

    private static async Task InnerAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(TimeSpan.FromHours(1), cancellationToken);
        }
    }
}

/// <summary>A process-wide singleton whose background loop starts on first use and never stops (in production).</summary>
internal static class LazyTelemetry
{
    private static readonly Lock s_gate = new();
    private static CancellationTokenSource? s_cts;
    private static Task? s_pump;

    public static void EnsureStarted()
    {
        lock (s_gate)
        {
            if (s_pump is null)
            {
                s_cts = new CancellationTokenSource();
                s_pump = PumpAsync(s_cts.Token);
            }
        }
    }

    public static async Task StopForTestsAsync()
    {
        Task? pump;
        lock (s_gate)
        {
            s_cts?.Cancel();
            pump = s_pump;
            s_pump = null;
        }

        if (pump is not null)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pump);
        }
    }

    private static async Task PumpAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(TimeSpan.FromHours(1), cancellationToken);
        }
    }
}
