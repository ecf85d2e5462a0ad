namespace Lifeline.Hub.Monitoring;

/// <summary>
/// Gives memory back after a burst of bad input (docs/hub.md, "Memory after bad input"). Rejected requests and sockets
/// leave garbage (their buffers, connection state) that a busy hub collects as it goes, but a hub that goes quiet after
/// the burst runs no collection, so the garbage and the GC's free space stay resident: a storm of 20,100 bad inputs left a
/// `lifeline serve` at 395 MiB with 16 MB live. Once bad input has stopped for <see cref="Quiet"/>, one full compacting
/// collection (<see cref="GCCollectionMode.Aggressive"/>, which also returns free memory to the operating system) runs,
/// at most once per <see cref="MinInterval"/>, so bad input cannot make the hub collect more often than that. Timed on the
/// hub's <see cref="TimeProvider"/>. Thread-safe.
/// </summary>
internal sealed class BadInputTrim : IDisposable
{
    /// <summary>How long bad input must have stopped before the collection runs.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(10);

    /// <summary>The least time between two collections: the pause of a full compacting collection grows with the heap (the memory store's entries), so it is rare.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private long _lastTrim;   // timestamp of the last collection; 0 before the first

    public BadInputTrim(TimeProvider time)
    {
        _time = time;
        _timer = time.CreateTimer(static state => ((BadInputTrim)state!).OnQuiet(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>How many collections ran.</summary>
    public long Trims { get; private set; }

    /// <summary>Bad input arrived: the collection runs once it has been quiet for <see cref="Quiet"/>.</summary>
    public void OnBadInput() => _timer.Change(Quiet, Timeout.InfiniteTimeSpan);

    public void Dispose() => _timer.Dispose();

    private void OnQuiet()
    {
        var last = Volatile.Read(ref _lastTrim);
        if (last != 0 && _time.GetElapsedTime(last) is var since && since < MinInterval)
        {
            _timer.Change(MinInterval - since, Timeout.InfiniteTimeSpan);
            return;
        }

        Volatile.Write(ref _lastTrim, Math.Max(1, _time.GetTimestamp()));
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        Trims++;
    }
}
