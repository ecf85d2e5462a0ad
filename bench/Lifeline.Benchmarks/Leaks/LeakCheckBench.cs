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
    private const int SuiteTests = 400;
    private const int SuiteRequestsPerTest = 500;
    private const int SuiteRuns = 5;

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

        // A whole suite, verifier off and on, alternated so both see the same machine: the median of each.
        var offRuns = new List<double>();
        var onRuns = new List<double>();
        await SuiteMillisecondsAsync(verify: true);
        for (var run = 0; run < SuiteRuns; run++)
        {
            SetTracking(false);
            offRuns.Add(await SuiteMillisecondsAsync(verify: false));
            SetTracking(true);
            onRuns.Add(await SuiteMillisecondsAsync(verify: true));
        }

        var offMedian = Median(offRuns);
        var onMedian = Median(onRuns);
        Console.WriteLine($"suite of {SuiteTests} parallel tests, verifier off: {offMedian,8:F0} ms (median of {SuiteRuns})");
        Console.WriteLine($"suite of {SuiteTests} parallel tests, verifier on:  {onMedian,8:F0} ms (median of {SuiteRuns}, {(onMedian / offMedian - 1) * 100:+0;-0}%)");
        return 0;
    }

    /// <summary>
    /// A suite shaped like this repository's: tests run 4 at a time, each starts a server-like loop (a channel
    /// consumer), sends it work through async methods, stops it and awaits it. "On" is what [assembly: VerifyNoLeaks]
    /// does: the task registry on, each test in its own scope through LeakCheckRun, a check after each, and the
    /// end-of-run check; "off" is the same tests with the registry off and no checks.
    /// </summary>
    private static async Task<double> SuiteMillisecondsAsync(bool verify)
    {
        var run = new LeakCheckRun(new AssemblyLeakSettings(), static _ => { });
        var failures = 0;
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, SuiteTests), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (test, _) =>
        {
            if (verify)
            {
                await run.RunTestAsync($"SuiteTests.Test{test}", null, null, static () => SuiteTestAsync(), _ => Interlocked.Increment(ref failures));
            }
            else
            {
                await SuiteTestAsync();
            }
        });
        if (verify && await run.VerifyEndOfRunAsync("suite") is { } report)
        {
            throw new InvalidOperationException(report.ToString());
        }

        if (failures > 0)
        {
            throw new InvalidOperationException($"{failures} suite tests leaked");
        }

        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static async Task<int> SuiteTestAsync()
    {
        var requests = System.Threading.Channels.Channel.CreateUnbounded<TaskCompletionSource<int>>();
        var server = ServeAsync(requests.Reader);
        var sum = 0;
        for (var i = 0; i < SuiteRequestsPerTest; i++)
        {
            sum += await RequestAsync(requests.Writer, i);
        }

        requests.Writer.Complete();
        await server;
        return sum;
    }

    private static async Task ServeAsync(System.Threading.Channels.ChannelReader<TaskCompletionSource<int>> requests)
    {
        await foreach (var request in requests.ReadAllAsync())
        {
            await Task.Yield();
            request.SetResult(1);
        }
    }

    private static async Task<int> RequestAsync(System.Threading.Channels.ChannelWriter<TaskCompletionSource<int>> requests, int i)
    {
        var reply = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await requests.WriteAsync(reply);
        return await reply.Task + (i & 0);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
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
