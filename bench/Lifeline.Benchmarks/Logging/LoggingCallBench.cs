using System.Diagnostics;
using System.Runtime.InteropServices;
using Lifeline.Benchmarks.Hub.Load;
using Lifeline.Extensions.Logging;
using Lifeline.Hub;
using Microsoft.Extensions.Logging;

namespace Lifeline.Benchmarks.Logging;

/// <summary>
/// The cost to the application of one <c>ILogger.LogInformation</c> call (a message template with two values): with no
/// provider, with the console provider (writing to a null stream, so the terminal is not what is measured), and with the
/// Lifeline provider shipping to a real in-process hub on 127.0.0.1 (and to an unreachable one, where every call ends in
/// the bounded buffer). A careful Stopwatch loop on one thread: warm-up, then the median of several rounds, plus bytes
/// allocated per call and, on Linux, the CPU time of the calling thread per call (what the application's thread really
/// spends, without the time it waits for a core on a loaded machine). Bounded: a fixed number of calls.
/// </summary>
internal sealed class LoggingCallBench : IBenchCommand
{
    private const int Warmup = 100_000;
    private const int CallsPerRound = 300_000;
    private const int Rounds = 5;

    public string Name => "logging";

    public string Description => "cost of one ILogger.LogInformation call: no provider, console, Lifeline (hub up / unreachable)";

    public async Task<int> RunAsync(string[] args)
    {
        var realOut = Console.Out;
        Console.WriteLine($"{"provider",-34} {"ns/call (median)",17} {"thread CPU ns/call",19} {"bytes/call",11}");

        Report("none", Measure(LoggerFactory.Create(_ => { })));

        Console.SetOut(TextWriter.Null);
        var console = Measure(LoggerFactory.Create(b => b.AddConsole()));
        Console.SetOut(realOut);
        Report("console (to a null stream)", console);

        await using (var hub = await InProcessHub.StartAsync(HubStoreKind.Memory, sqlitePath: ""))
        {
            var (result, stats) = MeasureLifeline(hub.BaseUri);
            Report("lifeline (hub up, 127.0.0.1)", result);
            Console.WriteLine($"    shipped during the run: {stats}");
        }

        var (unreachable, unreachableStats) = MeasureLifeline(new Uri("http://127.0.0.1:9/"));
        Report("lifeline (hub unreachable)", unreachable);
        Console.WriteLine($"    {unreachableStats}");
        return 0;
    }

    private static (Result, string) MeasureLifeline(Uri url)
    {
        var options = new LifelineLoggerOptions { Url = url, ShutdownTimeout = TimeSpan.FromSeconds(2) };
        var provider = new LifelineLoggerProvider(options);
        var result = Measure(LoggerFactory.Create(b => b.AddProvider(provider)));
        var stats = provider.Shipper.GetStats();
        provider.Dispose();
        return (result, $"enqueued {stats.Enqueued:N0}, acknowledged {stats.Acknowledged:N0}, dropped (buffer full) {stats.Dropped:N0}");
    }

    private static Result Measure(ILoggerFactory factory)
    {
        using (factory)
        {
            var logger = factory.CreateLogger("Bench.Orders");
            Run(logger, Warmup);
            var times = new double[Rounds];
            var cpu = new double[Rounds];
            long bytes = 0;
            for (var r = 0; r < Rounds; r++)
            {
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                var cpuStarted = ThreadCpuNanoseconds();
                var started = Stopwatch.GetTimestamp();
                Run(logger, CallsPerRound);
                times[r] = Stopwatch.GetElapsedTime(started).TotalNanoseconds / CallsPerRound;
                cpu[r] = (double)(ThreadCpuNanoseconds() - cpuStarted) / CallsPerRound;
                bytes += GC.GetAllocatedBytesForCurrentThread() - allocated;
            }

            Array.Sort(times);
            Array.Sort(cpu);
            return new Result(times[Rounds / 2], cpu[Rounds / 2], (double)bytes / (Rounds * (long)CallsPerRound));
        }
    }

#pragma warning disable CA1848, CA1873 // the extension method is exactly what is measured
    private static void Run(ILogger logger, int calls)
    {
        for (var i = 0; i < calls; i++)
        {
            logger.LogInformation("Order {OrderId} took {Ms} ms", i, 812.5);
        }
    }
#pragma warning restore CA1848, CA1873

    private static void Report(string name, Result result) =>
        Console.WriteLine($"{name,-34} {result.NanosecondsPerCall,17:F1} {result.ThreadCpuNanosecondsPerCall,19:F1} {result.BytesPerCall,11:F0}");

    /// <summary>CPU time consumed by the calling thread (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>); 0 elsewhere.</summary>
    private static long ThreadCpuNanoseconds()
    {
        const int ClockThreadCpuTimeId = 3;
        return OperatingSystem.IsLinux() && ClockGetTime(ClockThreadCpuTimeId, out var ts) == 0 ? (ts.Seconds * 1_000_000_000) + ts.Nanoseconds : 0;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clockId, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private readonly record struct Result(double NanosecondsPerCall, double ThreadCpuNanosecondsPerCall, double BytesPerCall);
}
