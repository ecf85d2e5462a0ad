namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>A hub process's memory, as the idle-memory scenario reads it.</summary>
/// <param name="ManagedBytes">Managed heap after a full, compacting collection.</param>
/// <param name="ResidentBytes">Resident set (working set).</param>
/// <param name="PooledBytes">Free blocks in Kestrel's block pool (part of <paramref name="ManagedBytes"/>); see <see cref="KestrelPoolGauge"/>.</param>
public readonly record struct ProcessMemory(long ManagedBytes, long ResidentBytes, long PooledBytes)
{
    /// <summary>The <c>MEM</c> line hub-server answers with.</summary>
    public string ToLine() => FormattableString.Invariant($"MEM {ManagedBytes} {ResidentBytes} {PooledBytes}");

    /// <summary>Parses a <see cref="ToLine"/> line; <see langword="false"/> for any other line (a diagnostic tool may write to the server's output).</summary>
    public static bool TryParse(string line, out ProcessMemory memory)
    {
        var parts = line.Split(' ');
        memory = default;
        if (parts.Length != 4 || parts[0] != "MEM")
        {
            return false;
        }

        memory = new ProcessMemory(
            long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture));
        return true;
    }
}
