using System.Runtime.InteropServices;

namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>Pins the calling thread to one CPU (Linux <c>sched_setaffinity</c>; a no-op elsewhere).</summary>
internal static partial class ThreadAffinity
{
    public static void PinCurrentThread(int cpu)
    {
        if (OperatingSystem.IsLinux())
        {
            ulong mask = 1UL << cpu;
            _ = SchedSetAffinity(0, sizeof(ulong), ref mask);
        }
    }

    [LibraryImport("libc", EntryPoint = "sched_setaffinity")]
    private static partial int SchedSetAffinity(int pid, nint size, ref ulong mask);
}
