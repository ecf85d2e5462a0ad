using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Lifeline.Benchmarks.Cluster;

/// <summary>
/// The cluster benchmarks' last line of defence against leftover children: every child process they start (hub nodes,
/// nats-servers) is registered here by pid. SIGINT (Ctrl+C) or SIGTERM kills each registered child by pid and cancels
/// <see cref="Stopping"/>, so the benchmark unwinds through its <c>finally</c> blocks (which wait for the children and
/// delete their folders) instead of dying with them still running, and <see cref="RunAsync"/> ends it with
/// <see cref="Interrupted"/>; the process's exit kills whatever is still registered. The normal path unregisters a
/// child once it stopped it. Thread-safe.
/// </summary>
internal static class ChildGuard
{
    /// <summary>The exit code of a benchmark stopped by a signal (the shell's 128 + SIGINT).</summary>
    public const int Interrupted = 130;

    private static readonly ConcurrentDictionary<int, string> s_children = new();
    private static readonly CancellationTokenSource s_stopping = new();

    // Kept for the process's lifetime: disposing a registration removes its handler.
    private static readonly PosixSignalRegistration[] s_signals =
    [
        PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
        PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
    ];

    static ChildGuard() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    /// <summary>Cancelled on Ctrl+C: the benchmark stops what it measures and reports nothing more.</summary>
    public static CancellationToken Stopping => s_stopping.Token;

    /// <summary>Runs a benchmark; one stopped by a signal ends with <see cref="Interrupted"/> (its children already stopped).</summary>
    public static async Task<int> RunAsync(Func<CancellationToken, Task<int>> benchmark)
    {
        GC.KeepAlive(s_signals);
        try
        {
            return await benchmark(Stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (Stopping.IsCancellationRequested)
        {
            Console.Error.WriteLine($"stopped ({e.GetType().Name}); every child process it started is stopped");
            return Interrupted;
        }
    }

    /// <summary>Registers a started child.</summary>
    public static void Add(int pid, string what)
    {
        if (pid > 0)
        {
            s_children[pid] = what;
        }
    }

    /// <summary>Unregisters a child that was stopped and waited for.</summary>
    public static void Remove(int pid) => s_children.TryRemove(pid, out _);

    private static void OnSignal(PosixSignalContext context)
    {
        // Unwind (the finally blocks stop and wait for everything) rather than exit with children running.
        context.Cancel = true;
        Stop(context.Signal.ToString());
    }

    private static void Stop(string why)
    {
        Console.Error.WriteLine($"{why}: stopping {s_children.Count} child process(es) by pid");
        KillAll();
        s_stopping.Cancel();
    }

    private static void KillAll()
    {
        foreach (var (pid, _) in s_children)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }
        }
    }
}
