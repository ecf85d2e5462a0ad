using System.Diagnostics;
using System.Reflection;
using Lifeline.Testing.Leaks;

namespace Lifeline.Benchmarks.Leaks;

/// <summary>
/// What the leak verifier costs: the time of a clean check (what every passing test pays), with a quiet process
/// and with background async work of other scopes present, and how much slower async-heavy code runs with the
/// runtime's task registry on. Bounded: a fixed number of iterations, under a minute in all; `leaks checks` runs only
/// the clean checks.
/// </summary>
internal sealed class LeakCheckBench : IBenchCommand
{
    private const int Checks = 2_000;
    private const int AsyncOps = 2_000_000;
    private const int SuiteTests = 1_600;
    private const int SuiteRequestsPerTest = 500;
    private const int SuiteRuns = 9;

    public string Name => "leaks";

    public string Description => "cost of a clean leak check per test, and async overhead with tracking on vs off";

    public async Task<int> RunAsync(string[] args)
    {
        Console.WriteLine($"clean check, quiet process:            {await CleanCheckMicrosecondsAsync(0),8:F1} µs/check");
        Console.WriteLine($"clean check, 1,000 foreign tasks live: {await CleanCheckMicrosecondsAsync(1_000),8:F1} µs/check");
        Console.WriteLine($"clean check, 1,000 foreign delays live:{await CleanCheckMicrosecondsAsync(1_000, delays: true),8:F1} µs/check");
        if (args is ["checks"])
        {
            return 0;
        }


        SetTracking(false);
        var off = await AsyncLoopNanosecondsAsync();
        SetTracking(true);
        var on = await AsyncLoopNanosecondsAsync();
        Console.WriteLine($"async method that yields, tracking off: {off,8:F1} ns/op");
        Console.WriteLine($"async method that yields, tracking on:  {on,8:F1} ns/op  ({on / off:F2}x)");

        // A whole suite, verifier off and on, alternated so each sees the same machine: the median of each, wall time
        // and the process's CPU time (steadier on a shared machine). Two steps between off and on split the cost: the
        // runtime's task registry on, then each test also in its own scope (an AsyncLocal), no check.
        var modes = new (string Name, bool Tracking, SuiteMode Mode)[]
        {
            ("verifier off", false, SuiteMode.Plain),
            ("registry only", true, SuiteMode.Plain),
            ("+ a scope each", true, SuiteMode.Scoped),
            ("verifier on", true, SuiteMode.Verified),
        };
        var wall = modes.Select(_ => new List<double>()).ToArray();
        var cpu = modes.Select(_ => new List<double>()).ToArray();
        SetTracking(true);
        await SuiteAsync(SuiteMode.Verified);
        for (var run = 0; run < SuiteRuns; run++)
        {
            for (var m = 0; m < modes.Length; m++)
            {
                SetTracking(modes[m].Tracking);
                var (w, c) = await SuiteAsync(modes[m].Mode);
                wall[m].Add(w);
                cpu[m].Add(c);
            }
        }

        SetTracking(true);
        var (wallOff, cpuOff) = (Median(wall[0]), Median(cpu[0]));
        for (var m = 0; m < modes.Length; m++)
        {
            var (w, c) = (Median(wall[m]), Median(cpu[m]));
            Console.WriteLine($"suite of {SuiteTests} parallel tests, {modes[m].Name,-15} {w,6:F0} ms wall ({(w / wallOff - 1) * 100,4:+0;-0}%), {c,6:F0} ms CPU ({(c / cpuOff - 1) * 100,4:+0;-0}%)  medians of {SuiteRuns}");
        }

        return 0;
    }

    /// <summary>
    /// A suite shaped like this repository's: tests run 4 at a time, each starts a server-like loop (a channel
    /// consumer), sends it work through async methods, stops it and awaits it. "On" is what [assembly: VerifyNoLeaks]
    /// does: the task registry on, each test in its own scope through LeakCheckRun, a check after each, and the
    /// end-of-run check; "off" is the same tests with the registry off and no checks.
    /// </summary>
    private enum SuiteMode
    {
        Plain,
        Scoped,
        Verified,
    }

    /// <summary>One run of the suite: its wall time and the process's CPU time, in milliseconds.</summary>
    private static async Task<(double Wall, double Cpu)> SuiteAsync(SuiteMode mode)
    {
        var run = new LeakCheckRun(new AssemblyLeakSettings(), static _ => { });
        var failures = 0;
        var started = Stopwatch.GetTimestamp();
        var cpuStarted = Environment.CpuUsage.TotalTime;
        await Parallel.ForEachAsync(Enumerable.Range(0, SuiteTests), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (test, _) =>
        {
            switch (mode)
            {
                case SuiteMode.Verified:
                    await run.RunTestAsync($"SuiteTests.Test{test}", null, null, static () => SuiteTestAsync(), _ => Interlocked.Increment(ref failures));
                    break;
                case SuiteMode.Scoped:
                    await LeakVerifier.CreateScope($"SuiteTests.Test{test}").RunAsync(static () => SuiteTestAsync());
                    break;
                default:
                    await SuiteTestAsync();
                    break;
            }
        });
        if (mode == SuiteMode.Verified && await run.VerifyEndOfRunAsync("suite") is { } report)
        {
            throw new InvalidOperationException(report.ToString());
        }

        if (failures > 0)
        {
            throw new InvalidOperationException($"{failures} suite tests leaked");
        }

        return (Stopwatch.GetElapsedTime(started).TotalMilliseconds, (Environment.CpuUsage.TotalTime - cpuStarted).TotalMilliseconds);
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

    /// <summary>
    /// The time of one clean check while other scopes have <paramref name="foreignTasks"/> async methods pending: awaiting
    /// a task completion source, or (<paramref name="delays"/>) a Task.Delay, which also arms a runtime timer each, as a
    /// parallel suite's waiting tests do.
    /// </summary>
    private static async Task<double> CleanCheckMicrosecondsAsync(int foreignTasks, bool delays = false)
    {
        using var cts = new CancellationTokenSource();
        var other = LeakVerifier.CreateScope("other");
        var foreign = Enumerable.Range(0, foreignTasks)
            .Select(_ => other.RunAsync(() => delays ? Task.Delay(TimeSpan.FromHours(1), cts.Token) : WaitAsync(cts.Token)))
            .ToArray();
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
