using Lifeline.Testing.Leaks;

namespace Lifeline.Testing.Tests.Leaks;

/// <summary>Attribution by execution context: concurrent scopes each see only their own work.</summary>
public class AttributionTests
{
    [Fact]
    public async Task LeakyAndCleanScopesRunningAtTheSameTime_EachReportOnlyTheirOwnWork()
    {
        using var cts = new CancellationTokenSource();
        var leaky = LeakVerifier.CreateScope("leaky", LeakKindsTests.Quick);
        var clean = LeakVerifier.CreateScope("clean", LeakKindsTests.Quick);
        var bothStarted = new Barrier(2);
        Task? leakedLoop = null;

        // Two "tests" on two thread-pool threads, overlapping: the barrier holds each until the other has started its work.
        var leakyTest = Task.Run(() => leaky.RunAsync(async () =>
        {
            leakedLoop = LeakKindsTests.DelayLoopAsync(cts.Token);
            bothStarted.SignalAndWait(TimeSpan.FromSeconds(10));
            await Task.Yield();
        }));
        var cleanTest = Task.Run(() => clean.RunAsync(async () =>
        {
            using var own = new CancellationTokenSource();
            var ownLoop = LeakKindsTests.DelayLoopAsync(own.Token);
            bothStarted.SignalAndWait(TimeSpan.FromSeconds(10));
            await own.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ownLoop);
        }));
        await Task.WhenAll(leakyTest, cleanTest).WaitAsync(TimeSpan.FromSeconds(10));

        var cleanReport = await clean.VerifyAsync();
        var leakyReport = await leaky.VerifyAsync();

        Assert.False(cleanReport.HasLeaks, cleanReport.ToString());
        var operation = Assert.Single(leakyReport.Operations);
        Assert.Equal("leaky", operation.StartedBy);
        Assert.Equal("LeakKindsTests.DelayLoopAsync", operation.Top.Name);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leakedLoop!);
    }

    [Fact]
    public async Task WorkOfANestedScope_CountsAgainstTheOuterScopeToo()
    {
        using var cts = new CancellationTokenSource();
        var outer = LeakVerifier.CreateScope("outer", LeakKindsTests.Quick);
        var inner = LeakVerifier.CreateScope("inner", LeakKindsTests.Quick, parent: outer);
        var loop = inner.RunAsync(() => LeakKindsTests.DelayLoopAsync(cts.Token));

        var report = await outer.VerifyAsync();

        var operation = Assert.Single(report.Operations);
        Assert.Equal("inner", operation.StartedBy);
        Assert.Contains("(in nested scope inner)", report.ToString(), StringComparison.Ordinal);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
    }

    [Fact]
    public async Task WorkStartedWithFlowSuppressed_IsNotBlamedOnTheScope()
    {
        using var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scope = LeakVerifier.CreateScope("suppressed", LeakKindsTests.Quick);
        Task loop;
        using (scope.Enter())
        using (ExecutionContext.SuppressFlow())
        {
            loop = Task.Run(() =>
            {
                var running = LeakKindsTests.DelayLoopAsync(cts.Token);
                started.SetResult();
                return running;
            });
        }

        try
        {
            // The loop is suspended in its delay before anything is checked.
            await started.Task.WaitAsync(TimeSpan.FromSeconds(10));

            // Not attributable to any scope: only an end-of-run check (VerifyAllAsync) can see it.
            var report = await scope.VerifyAsync();
            var all = await LeakVerifier.VerifyAllAsync("everything", LeakKindsTests.Quick);

            Assert.False(report.HasLeaks, report.ToString());
            Assert.Contains(all.Operations, op => op.Top.Name == "LeakKindsTests.DelayLoopAsync" && op.StartedBy is null);
        }
        finally
        {
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
        }
    }

    [Fact]
    public async Task BeginScope_AwaitUsing_ThrowsNamingTheLeakWhenTheBlockEnds()
    {
        using var cts = new CancellationTokenSource();
        Task? loop = null;

        var thrown = await Assert.ThrowsAsync<LeakException>(async () =>
        {
            await using var scope = LeakVerifier.BeginScope(options: LeakKindsTests.Quick);
            loop = LeakKindsTests.DelayLoopAsync(cts.Token);
            await Task.Yield();
        });

        Assert.Equal(
            "found 1 unexpected pending operation started by BeginScope_AwaitUsing_ThrowsNamingTheLeakWhenTheBlockEnds: [async] LeakKindsTests.DelayLoopAsync awaiting Task.Delay",
            thrown.Message);
        Assert.NotEqual("BeginScope_AwaitUsing_ThrowsNamingTheLeakWhenTheBlockEnds", LeakScope.Current?.Name);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop!);
    }

    [Fact]
    public async Task BeginScope_AwaitUsing_PassesWhenEverythingEnded()
    {
        await using (var scope = LeakVerifier.BeginScope(options: LeakKindsTests.Quick))
        {
            using var cts = new CancellationTokenSource();
            var loop = LeakKindsTests.DelayLoopAsync(cts.Token);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
            Assert.Same(scope, LeakScope.Current);
        }

        Assert.NotEqual("BeginScope_AwaitUsing_PassesWhenEverythingEnded", LeakScope.Current?.Name);
    }
}
