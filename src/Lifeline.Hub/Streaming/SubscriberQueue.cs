namespace Lifeline.Hub.Streaming;

/// <summary>
/// A subscriber's bounded send queue (bytes). The writer loop enqueues shared frames; the subscriber's send loop takes them.
/// When a frame would exceed the bound the queue is cleared and stops accepting (overflow): the send loop then
/// catches up from the store and re-opens it with <see cref="Accept"/>. So a slow subscriber never holds more than
/// its bound and never slows the writer. Thread-safe: one lock; the waiter is completed outside it.
/// </summary>
internal sealed class SubscriberQueue(long maxBytes)
{
    private readonly Lock _lock = new();
    private readonly Queue<SharedFrame> _frames = new();
    private long _bytes;
    private bool _accepting;
    private bool _overflowed;
    private bool _heartbeat;
    private bool _closed;
    private TaskCompletionSource? _waiter;

    /// <summary>Bytes queued now.</summary>
    public long QueuedBytes { get { lock (_lock) { return _bytes; } } }

    /// <summary>Starts accepting frames (called under the hub's fan-out lock, so the first frame accepted follows the marker read there).</summary>
    public void Accept()
    {
        lock (_lock)
        {
            _accepting = true;
            _overflowed = false;
        }
    }

    /// <summary>Adds a frame; on overflow clears the queue and stops accepting. Returns <see langword="false"/> on overflow.</summary>
    public bool Enqueue(SharedFrame frame)
    {
        TaskCompletionSource? waiter;
        lock (_lock)
        {
            if (!_accepting || _closed)
            {
                return true;
            }

            if (_bytes + frame.Bytes.Length > maxBytes)
            {
                _frames.Clear();
                _bytes = 0;
                _accepting = false;
                _overflowed = true;
            }
            else
            {
                _frames.Enqueue(frame);
                _bytes += frame.Bytes.Length;
            }

            waiter = _waiter;
            _waiter = null;
        }

        waiter?.TrySetResult();
        return !_overflowed;
    }

    /// <summary>Asks the send loop for a heartbeat.</summary>
    public void RequestHeartbeat() => Signal(() => _heartbeat = true);

    /// <summary>Wakes the send loop for good (a close was requested).</summary>
    public void Close() => Signal(() =>
    {
        _closed = true;
        _frames.Clear();
        _bytes = 0;
    });

    /// <summary>Takes what is ready: a frame, or flags. Waits when there is nothing.</summary>
    public async ValueTask<(SharedFrame? Frame, bool Overflowed, bool Heartbeat, bool Closed)> TakeAsync()
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_closed)
                {
                    return (null, false, false, true);
                }

                if (_frames.TryDequeue(out var frame))
                {
                    _bytes -= frame.Bytes.Length;
                    return (frame, false, false, false);
                }

                if (_overflowed)
                {
                    _overflowed = false;
                    return (null, true, false, false);
                }

                if (_heartbeat)
                {
                    _heartbeat = false;
                    return (null, false, true, false);
                }

                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _waiter.Task;
            }

            await wait.ConfigureAwait(false);
        }
    }

    /// <summary>Takes a queued frame without waiting, or <see langword="null"/>.</summary>
    public SharedFrame? TryTake()
    {
        lock (_lock)
        {
            if (_closed || !_frames.TryDequeue(out var frame))
            {
                return null;
            }

            _bytes -= frame.Bytes.Length;
            return frame;
        }
    }

    private void Signal(Action change)
    {
        TaskCompletionSource? waiter;
        lock (_lock)
        {
            change();
            waiter = _waiter;
            _waiter = null;
        }

        waiter?.TrySetResult();
    }
}
