using System.Collections.Concurrent;
using System.Diagnostics;

namespace Lifeline.LocalNats;

/// <summary>
/// Starts child processes that do not outlive this one, even when it dies by SIGKILL (no <c>finally</c>, no dispose
/// runs then). On Linux the child runs through <c>setpriv --pdeathsig KILL --</c> (util-linux): setpriv asks the kernel
/// for SIGKILL when its parent dies, then execs the program, which keeps that request and setpriv's pid. Elsewhere, or
/// without setpriv, a child starts plainly (a graceful stop still kills it by pid).
/// </summary>
/// <remarks>
/// The kernel's "parent" is the thread that forked the child, not the process: a child forked from a thread-pool thread
/// would be killed when that thread retires. So every child is forked by one dedicated thread that lives as long as the
/// process. Left open: a parent killed in the microseconds between the fork and setpriv's request leaves its child
/// running. Thread-safe.
/// </remarks>
internal static class ParentBoundProcess
{
    private static readonly string? s_setpriv = OperatingSystem.IsLinux() ? FindSetpriv() : null;

    /// <summary>The forks asked of the spawner thread; never completed: the thread lives until the process ends.</summary>
    private static readonly BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process> Started)> s_requests = [];

    private static readonly Lazy<Thread> s_spawner = new(() =>
    {
        var thread = new Thread(Spawn) { IsBackground = true, Name = "Lifeline child-process spawner" };
        thread.Start();
        return thread;
    });

    /// <summary>Whether children are bound to this process's life (Linux with setpriv).</summary>
    public static bool Bound => s_setpriv is not null;

    /// <summary>
    /// Starts <paramref name="info"/> (its <see cref="ProcessStartInfo.ArgumentList"/>, not <see cref="ProcessStartInfo.Arguments"/>)
    /// bound to this process when <see cref="Bound"/>; <paramref name="info"/> is changed to run through setpriv then.
    /// </summary>
    public static Process Start(ProcessStartInfo info)
    {
        if (s_setpriv is null)
        {
            return Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}");
        }

        if (info.Arguments.Length > 0)
        {
            throw new ArgumentException("pass arguments in ArgumentList", nameof(info));
        }

        info.ArgumentList.Insert(0, "--pdeathsig");
        info.ArgumentList.Insert(1, "KILL");
        info.ArgumentList.Insert(2, "--");
        info.ArgumentList.Insert(3, info.FileName);
        info.FileName = s_setpriv;
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = s_spawner.Value;
        s_requests.Add((info, started));

        // The spawner thread owes nothing to the thread pool, so waiting on it here cannot starve it.
        return started.Task.GetAwaiter().GetResult();
    }

    private static void Spawn()
    {
        foreach (var (info, started) in s_requests.GetConsumingEnumerable())
        {
            try
            {
                started.TrySetResult(Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}"));
            }
            catch (Exception exception)
            {
                // Handed to the caller, which is waiting for exactly this answer.
                started.TrySetException(exception);
            }
        }
    }

    /// <summary>Where util-linux installs setpriv (merged /usr, or not).</summary>
    private static string? FindSetpriv() =>
        File.Exists("/usr/bin/setpriv") ? "/usr/bin/setpriv" : File.Exists("/bin/setpriv") ? "/bin/setpriv" : null;
}
