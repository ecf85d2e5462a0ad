using System.Collections.Concurrent;
using System.Diagnostics;

namespace Lifeline.Benchmarks.Cluster;

/// <summary>
/// The cluster benchmarks' last line of defence against leftover children: every child process they start (hub nodes,
/// nats-servers) is registered here by pid. Ctrl+C (or SIGTERM) kills each registered child by pid and cancels
/// <see cref="Stopping"/>, so the benchmark unwinds through its <c>finally</c> blocks (which wait for the children and
/// delete their folders) instead of dying with them still running; the process's exit kills whatever is still
/// registered. The normal path unregisters a child once it stopped it. Thread-safe.
/// </summary>
internal static class ChildGuard
{
    private static readonly ConcurrentDictionary<int, string> s_children = new();
    private static readonly CancellationTokenSource s_stopping = new();

    static ChildGuard()
    {
        Console.CancelKeyPress += (_, e) =>
        {
            // Unwind (the finally blocks stop and wait for everything) rather than exit with children running.
            e.Cancel = true;
            Stop("Ctrl+C");
        };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    /// <summary>Cancelled on Ctrl+C: the benchmark stops what it measures and reports nothing more.</summary>
    public static CancellationToken Stopping => s_stopping.Token;

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
