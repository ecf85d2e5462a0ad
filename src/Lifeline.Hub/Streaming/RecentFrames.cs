using Lifeline.Hub.Storage;

namespace Lifeline.Hub.Streaming;

/// <summary>
/// The most recent unfiltered live frames, bounded in bytes, so that a subscriber catching up over recent ids (after
/// an overflow, or resuming a moment back) is sent the frames already built and shared rather than frames rebuilt
/// from the store for it alone: catch-up then costs what live delivery costs, and a hub overloaded by many slow
/// subscribers does not spend more per entry the further behind they fall.
/// Invariant: frames are contiguous (every id from first to last) and in id order, each starting after the previous
/// one ends. Written by the writer loop only; read by catch-up loops. Thread-safe: one lock.
/// </summary>
internal sealed class RecentFrames(long maxBytes)
{
    private readonly Lock _lock = new();
    private readonly Ring<SharedFrame> _ring = new(64);
    private long _bytes;

    /// <summary>Bytes held now.</summary>
    public long Bytes { get { lock (_lock) { return _bytes; } } }

    /// <summary>Remembers <paramref name="frame"/> (contiguous, after every frame held); evicts the oldest past the bound.</summary>
    public void Add(SharedFrame frame)
    {
        if (maxBytes == 0 || !frame.IsContiguous)
        {
            return;
        }

        lock (_lock)
        {
            if (_ring.Count > 0 && _ring[_ring.Count - 1].LastId >= frame.FirstId)
            {
                // Not after the newest (ids were reassigned after a failed append): start again from this frame.
                _ring.Clear();
                _bytes = 0;
            }

            if (_ring.Count == _ring.Capacity)
            {
                _ring.Grow(_ring.Capacity * 2);
            }

            _ring.Add(frame);
            _bytes += frame.Length;
            while (_bytes > maxBytes && _ring.Count > 0)
            {
                _bytes -= _ring.RemoveOldest().Length;
            }
        }
    }

    /// <summary>
    /// The held frame that starts at <paramref name="firstId"/>, ends at or before <paramref name="lastId"/> and holds at
    /// least <paramref name="minBytes"/>; otherwise <see langword="null"/> and, in <paramref name="nextFirstId"/>, where
    /// the first held frame after <paramref name="firstId"/> starts if it is large enough (or 0), so that a reader can
    /// read the store up to there and then use frames. Small frames (a quiet hub publishes one entry per frame) are not worth a send each:
    /// the store's pages make fewer, fuller frames.
    /// </summary>
    public SharedFrame? Find(long firstId, long lastId, int minBytes, out long nextFirstId)
    {
        nextFirstId = 0;
        lock (_lock)
        {
            // Binary search for the first frame with FirstId >= firstId.
            int lo = 0, hi = _ring.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (_ring[mid].FirstId < firstId)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            if (lo == _ring.Count)
            {
                return null;
            }

            var frame = _ring[lo];
            if (frame.FirstId == firstId)
            {
                return frame.LastId <= lastId && frame.Length >= minBytes ? frame : null;
            }

            nextFirstId = frame.Length >= minBytes ? frame.FirstId : 0;
            return null;
        }
    }
}
