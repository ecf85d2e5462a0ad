using System.Diagnostics;
using System.Reflection;
using Lifeline.Testing.Leaks;

namespace Lifeline.Benchmarks.Leaks;

/// <summary>
/// What the leak verifier costs: the time of a clean check (what every passing test pays), with a quiet process
/// and with background async work of other scopes present, and how much slower async-heavy code runs with the
/// runtime's task registry on. Bounded: a fixed number of iterations, a few seconds in all.
/// </summary>
internal sealed class LeakCheckBench : IBenchCommand
{
    private const int Checks = 2_000;
    private const int AsyncOps = 2_000_000;

    public string Name => "leaks";

    public string Description => "cost of a clean leak check per test, and async overhead with tracking on vs off";

    public async Task<int> RunAsync(string[] args)
    {
        Console.WriteLine($"clean check, quiet process:            {await CleanCheckMicrosecondsAsync(0),8:F1} µs/check");
        Console.WriteLine($"clean check, 1,000 foreign tasks live: {await CleanCheckMicrosecondsAsync(1_000),8:F1} µs/check");

        SetTracking(false);
        var off = await AsyncLoopNanosecondsAsync();
        SetTracking(true);
        var on = await AsyncLoopNanosecondsAsync();
        Console.WriteLine($"async method that yields, tracking off: {off,8:F1} ns/op");
        Console.WriteLine($"async method that yields, tracking on:  {on,8:F1} ns/op  ({on / off:F2}x)");
        return 0;
    }

    private static async Task<double> CleanCheckMicrosecondsAsync(int foreignTasks)
    {
        using var cts = new CancellationTokenSource();
        var other = LeakVerifier.CreateScope("other");
        var foreign = Enumerable.Range(0, foreignTasks).Select(_ => other.RunAsync(() => WaitAsync(cts.Token))).ToArray();
        for (var i = 0; i < 100; i++)
        {
            await LeakVerifier.CreateScope("warmup").VerifyAsync();
        }

        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < Checks; i++)
        {
            var scope = LeakVerifier.CreateScope("bench");
            await scope.RunAsync(static () => Task.Yield().AsTask());
            var report = await scope.VerifyAsync();
            if (report.HasLeaks)
            {
                throw new InvalidOperationException(report.ToString());
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        await cts.CancelAsync();
        await Task.WhenAll(foreign.Select(t => t.ContinueWith(static _ => { }, TaskScheduler.Default)));
        return elapsed.TotalMicroseconds / Checks;
    }

    private static async Task<double> AsyncLoopNanosecondsAsync()
    {
        for (var i = 0; i < AsyncOps / 10; i++)
        {
            await YieldingAsync();
        }

        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < AsyncOps; i++)
        {
            await YieldingAsync();
        }

        return Stopwatch.GetElapsedTime(started).TotalNanoseconds / AsyncOps;
    }

    private static async Task YieldingAsync() => await Task.Yield();

    private static async Task WaitAsync(CancellationToken cancellationToken)
    {
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (cancellationToken.Register(() => never.TrySetResult()))
        {
            await never.Task;
        }
    }

    private static void SetTracking(bool on) =>
        typeof(Task).GetField("s_asyncDebuggingEnabled", BindingFlags.Static | BindingFlags.NonPublic)!.SetValue(null, on);
}

internal static class TaskExtensions
{
    public static async Task AsTask(this System.Runtime.CompilerServices.YieldAwaitable awaitable) => await awaitable;
}
