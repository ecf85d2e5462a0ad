using System.Diagnostics;
using System.Globalization;

namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>
/// CPU counters at one moment, or (after subtraction) over a window: the server process's user+system time, the wall
/// time, and one core's busy and total jiffies from <c>/proc/stat</c> (all processes on it: on a shared machine the
/// server's core also runs others' work, which the process figure leaves out).
/// </summary>
/// <param name="ProcessCpu">User plus system time of the server process.</param>
/// <param name="Wall">Wall-clock time (a <see cref="Stopwatch"/> reading, or the window's length).</param>
/// <param name="CoreBusy">Jiffies the core spent not idle (user, nice, system, irq, softirq, steal); 0 if unknown.</param>
/// <param name="CoreTotal">All jiffies of the core; 0 if unknown.</param>
public readonly record struct CpuSample(TimeSpan ProcessCpu, TimeSpan Wall, long CoreBusy, long CoreTotal)
{
    /// <summary>The server process's CPU as a percentage of one core over the window.</summary>
    public double ProcessPercent => Wall > TimeSpan.Zero ? 100 * ProcessCpu / Wall : 0;

    /// <summary>How busy the server's core was over the window, all processes, percent; NaN if unknown.</summary>
    public double CorePercent => CoreTotal > 0 ? 100.0 * CoreBusy / CoreTotal : double.NaN;

    /// <summary>The server's CPU per <paramref name="units"/> (deliveries), microseconds.</summary>
    public double MicrosecondsPer(long units) => units > 0 ? ProcessCpu.TotalMicroseconds / units : double.NaN;

    /// <summary>The change from <paramref name="start"/> to <paramref name="end"/>.</summary>
    public static CpuSample operator -(CpuSample end, CpuSample start) =>
        new(end.ProcessCpu - start.ProcessCpu, end.Wall - start.Wall, end.CoreBusy - start.CoreBusy, end.CoreTotal - start.CoreTotal);

    /// <summary>
    /// Reads the counters now: <paramref name="processCpu"/> for the server (another process's utime+stime; <see langword="null"/>:
    /// this process, which then includes the load), and core <paramref name="core"/>'s line of <c>/proc/stat</c> (-1: none).
    /// </summary>
    public static CpuSample Take(Func<TimeSpan>? processCpu, int core)
    {
        var (busy, total) = ReadCore(core);
        TimeSpan cpu;
        if (processCpu is null)
        {
            using var self = Process.GetCurrentProcess();
            cpu = self.TotalProcessorTime;
        }
        else
        {
            cpu = processCpu();
        }

        return new CpuSample(cpu, Stopwatch.GetElapsedTime(0), busy, total);
    }

    /// <summary>
    /// A process's user+system time from <c>/proc/PID/stat</c> (fields 14 and 15, after the parenthesized command name,
    /// in clock ticks of 1/100 s: USER_HZ is 100 on Linux); <see cref="Process.TotalProcessorTime"/> elsewhere.
    /// </summary>
    public static TimeSpan ReadProcessCpu(int pid)
    {
        if (!OperatingSystem.IsLinux())
        {
            using var process = Process.GetProcessById(pid);
            return process.TotalProcessorTime;
        }

        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state): utime is field 14, stime field 15.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    private static (long Busy, long Total) ReadCore(int core)
    {
        if (core < 0 || !OperatingSystem.IsLinux())
        {
            return (0, 0);
        }

        var prefix = $"cpu{core.ToString(CultureInfo.InvariantCulture)} ";
        foreach (var line in File.ReadLines("/proc/stat"))
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            // user nice system idle iowait irq softirq steal ...
            var v = line[prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(8).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            var idle = v[3] + v[4];
            var busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
            return (busy, busy + idle);
        }

        return (0, 0);
    }
}
