using System.Diagnostics;

namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>
/// The pace of a paced publisher and its counters. The rate may change while it runs; <see cref="TakeDue"/> turns the
/// time since its last call into the entries due at the current rate, so a late timer tick sends more rather than
/// the publisher silently falling below the rate. Thread-safe: the run sets <see cref="Rate"/> and reads the counters
/// while one publisher loop calls <see cref="TakeDue"/> and adds to them.
/// </summary>
public sealed class PublishPace
{
    // A publisher that was blocked (the server pushing back) catches up at most this much at once: a stall shows up as
    // entries not sent, not as a burst that hides it.
    private static readonly TimeSpan MaxCatchUp = TimeSpan.FromMilliseconds(100);

    private int _rate;
    private long _sent;
    private long _acked;

    // Publisher loop only.
    private long _last;
    private double _carry;

    /// <summary>Creates a pace at <paramref name="rate"/> entries per second.</summary>
    public PublishPace(int rate) => _rate = rate;

    /// <summary>Entries per second to publish.</summary>
    public int Rate
    {
        get => Volatile.Read(ref _rate);
        set => Volatile.Write(ref _rate, value);
    }

    /// <summary>Entries handed to the transport so far.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Entries the server acknowledged so far (a server without acks: 0).</summary>
    public long Acked => Interlocked.Read(ref _acked);

    /// <summary>Counts <paramref name="entries"/> sent.</summary>
    public void AddSent(long entries) => Interlocked.Add(ref _sent, entries);

    /// <summary>Counts <paramref name="entries"/> acknowledged.</summary>
    public void AddAcked(long entries) => Interlocked.Add(ref _acked, entries);

    /// <summary>
    /// The whole entries due since the previous call at the current rate (the fraction carries over). The first call
    /// starts the clock and returns 0. Publisher loop only.
    /// </summary>
    public int TakeDue()
    {
        var now = Stopwatch.GetTimestamp();
        if (_last == 0)
        {
            _last = now;
            return 0;
        }

        var elapsed = Stopwatch.GetElapsedTime(_last, now);
        _last = now;
        _carry += Rate * Math.Min(elapsed.TotalSeconds, MaxCatchUp.TotalSeconds);
        var due = (int)_carry;
        _carry -= due;
        return due;
    }

    /// <summary>Returns <paramref name="entries"/> taken by <see cref="TakeDue"/> but not sent (less than a whole publish), to send with the next ones.</summary>
    public void GiveBack(int entries) => _carry += entries;
}
