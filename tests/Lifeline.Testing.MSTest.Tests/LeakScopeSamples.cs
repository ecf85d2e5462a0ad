using Lifeline.Testing.Leaks;
using Microsoft.VisualStudio.TestTools.UnitTesting;

[assembly: Parallelize(Scope = ExecutionScope.MethodLevel)]

namespace Lifeline.Testing.MSTest.Tests;

/// <summary>
/// The leak verifier in MSTest tests: <c>await using (LeakVerifier.BeginScope(...))</c> around the test body. When the
/// block ends with work still running, the scope throws <see cref="LeakException"/> naming it, and MSTest fails the
/// test with that message. These samples run in CI: a clean test passes, and a leaky body makes the scope throw.
/// </summary>
[TestClass]
public class LeakScopeSamples
{
    private static readonly LeakOptions Options = new() { Timeout = TimeSpan.FromMilliseconds(100) };

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task ATestThatStopsWhatItStarts_Passes()
    {
        await using (LeakVerifier.BeginScope(TestContext.TestName, Options))
        {
            using var cts = new CancellationTokenSource();
            var loop = HeartbeatLoopAsync(cts.Token);
            await cts.CancelAsync();
            await Assert.ThrowsExactlyAsync<TaskCanceledException>(() => loop);
        }
    }

    [TestMethod]
    public async Task ATestThatLeavesALoopRunning_FailsNamingTheTestAndTheLoop()
    {
        using var cts = new CancellationTokenSource();
        Task? loop = null;

        // The body of a leaky test: what MSTest would report as this test's failure is the exception asserted here.
        var leak = await Assert.ThrowsExactlyAsync<LeakException>(async () =>
        {
            await using var scope = LeakVerifier.BeginScope("LeakScopeSamples.LeavesALoopRunning", Options);
            loop = HeartbeatLoopAsync(cts.Token);
            await Task.Yield();
        });

        Assert.AreEqual("found 1 unexpected pending operation started by LeakScopeSamples.LeavesALoopRunning: [async] LeakScopeSamples.HeartbeatLoopAsync awaiting Task.Delay", leak.Message);
        await cts.CancelAsync();
        await Assert.ThrowsExactlyAsync<TaskCanceledException>(() => loop!);
    }

    private static async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(TimeSpan.FromHours(1), cancellationToken);
        }
    }
}
