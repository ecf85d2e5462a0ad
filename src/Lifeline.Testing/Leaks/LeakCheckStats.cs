using System.Diagnostics;

namespace Lifeline.Testing.Leaks;

/// <summary>
/// Where a run's checks spend their time, for the cost bench (bench/scripts/leaks-suite.py): with
/// <c>LIFELINE_LEAKS_STATS=1</c>, one line on standard error when the process exits: how many checks ran, how many were
/// clean at their first scan, how many waited for work still ending, how many forced a full collection, and the time
/// spent scanning and checking. Counting is a few interlocked adds per check, always on. Thread-safe.
/// </summary>
internal static class LeakCheckStats
{
    /// <summary>The environment variable that prints the line.</summary>
    public const string Variable = "LIFELINE_LEAKS_STATS";

    private static long s_checks;
    private static long s_cleanAtFirstScan;
    private static long s_collections;
    private static long s_scans;
    private static long s_tasksRead;
    private static long s_scanTicks;
    private static long s_checkTicks;

    static LeakCheckStats()
    {
        if (Environment.GetEnvironmentVariable(Variable) == "1")
        {
            AppDomain.CurrentDomain.ProcessExit += static (_, _) => Console.Error.WriteLine(Line());
        }
    }

    public static void CheckEnded(long startedTimestamp, bool cleanAtFirstScan)
    {
        Interlocked.Increment(ref s_checks);
        Interlocked.Add(ref s_checkTicks, Stopwatch.GetTimestamp() - startedTimestamp);
        if (cleanAtFirstScan)
        {
            Interlocked.Increment(ref s_cleanAtFirstScan);
        }
    }

    public static void Scanned(long startedTimestamp)
    {
        Interlocked.Increment(ref s_scans);
        Interlocked.Add(ref s_scanTicks, Stopwatch.GetTimestamp() - startedTimestamp);
    }

    public static void TasksRead(int count) => Interlocked.Add(ref s_tasksRead, count);

    public static void Collected() => Interlocked.Increment(ref s_collections);

    /// <summary>The line: <c>Lifeline leak verifier stats: 273 checks, 273 clean at the first scan, ...</c>.</summary>
    public static string Line()
    {
        static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        var checks = Interlocked.Read(ref s_checks);
        var clean = Interlocked.Read(ref s_cleanAtFirstScan);
        return FormattableString.Invariant(
            $"Lifeline leak verifier stats: {checks} checks, {clean} clean at the first scan, {checks - clean} waited, ")
            + FormattableString.Invariant(
            $"{Interlocked.Read(ref s_collections)} forced full collections; {Interlocked.Read(ref s_scans)} scans read {Interlocked.Read(ref s_tasksRead)} registered tasks in {Ms(Interlocked.Read(ref s_scanTicks)):F0} ms; ")
            + FormattableString.Invariant($"{Ms(Interlocked.Read(ref s_checkTicks)):F0} ms in checks from first scan to verdict");
    }
}
