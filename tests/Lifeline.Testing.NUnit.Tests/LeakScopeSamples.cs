using Lifeline.Testing.Leaks;
using NUnit.Framework;

namespace Lifeline.Testing.NUnit.Tests;

/// <summary>
/// The leak verifier in NUnit tests: <c>await using (LeakVerifier.BeginScope(...))</c> around the test body. When the
/// block ends with work still running, the scope throws <see cref="LeakException"/> naming it, and NUnit fails the
/// test with that message. These samples run in CI: a clean test passes, and a leaky body makes the scope throw.
/// </summary>
[Parallelizable(ParallelScope.All)]
public class LeakScopeSamples
{
    private static readonly LeakOptions Options = new() { Timeout = TimeSpan.FromMilliseconds(100) };

    [Test]
    public async Task ATestThatStopsWhatItStarts_Passes()
    {
        await using (LeakVerifier.BeginScope(TestContext.CurrentContext.Test.Name, Options))
        {
            using var cts = new CancellationTokenSource();
            var loop = HeartbeatLoopAsync(cts.Token);
            await cts.CancelAsync();
            Assert.CatchAsync<OperationCanceledException>(() => loop);
        }
    }

    [Test]
    public async Task ATestThatLeavesALoopRunning_FailsNamingTheTestAndTheLoop()
    {
        using var cts = new CancellationTokenSource();
        Task? loop = null;

        // The body of a leaky test: what NUnit would report as this test's failure is the exception asserted here.
        var leak = Assert.ThrowsAsync<LeakException>(async () =>
        {
            await using var scope = LeakVerifier.BeginScope("LeakScopeSamples.LeavesALoopRunning", Options);
            loop = HeartbeatLoopAsync(cts.Token);
            await Task.Yield();
        });

        Assert.That(leak!.Message, Is.EqualTo("found 1 unexpected pending operation started by LeakScopeSamples.LeavesALoopRunning: [async] LeakScopeSamples.HeartbeatLoopAsync awaiting Task.Delay"));
        await cts.CancelAsync();
        Assert.CatchAsync<OperationCanceledException>(() => loop!);
    }

    private static async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(TimeSpan.FromHours(1), cancellationToken);
        }
    }
}
