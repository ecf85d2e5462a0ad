namespace Lifeline.Hub.Streaming;

/// <summary>
/// A subscriber's bounded send queue (bytes), and the token that says who may send on its socket.
/// The writer loop enqueues shared frames; the subscriber's send loop, or the writer loop itself, sends them.
/// When a frame would exceed the bound the queue is cleared and stops accepting (overflow): the send loop then
/// catches up from the store and re-opens it with <see cref="Accept"/>. So a slow subscriber never holds more than
/// its bound and never slows the writer.
/// <para>
/// Send ownership (invariant: exactly one owner sends at a time). <see cref="SendOwner.Loop"/>: the send loop runs.
/// <see cref="SendOwner.Parked"/>: the send loop waits in <see cref="TakeAsync"/> and nothing is queued.
/// <see cref="SendOwner.Pump"/>: the writer loop claimed a parked queue in <see cref="Enqueue"/> and delivers inline
/// (<see cref="TryTakeForPump"/>), which spares a thread hop per subscriber and frame; it gives the socket back with
/// <see cref="TryPark"/> or <see cref="HandOver"/>. The parked send loop's waiter is completed only by whoever hands
/// ownership to it, so the loop never runs while the pump sends.
/// </para>
/// Thread-safe: one lock; the waiter is completed outside it.
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
    private SendOwner _owner = SendOwner.Loop;
    private Task<bool>? _handedOver;

    // Set exactly while the owner is Parked or Pump: the send loop awaits it.
    private TaskCompletionSource? _waiter;

    private enum SendOwner
    {
        Loop,
        Parked,
        Pump,
    }

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

    /// <summary>
    /// Adds a frame; on overflow clears the queue and stops accepting. Returns <see langword="false"/> on overflow.
    /// <paramref name="claimed"/> is <see langword="true"/> when the caller now owns the send side and must call
    /// <see cref="Subscriber.Pump"/> (outside its locks).
    /// </summary>
    public bool Enqueue(SharedFrame frame, out bool claimed)
    {
        claimed = false;
        TaskCompletionSource? wake = null;
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
                wake = WakeLoopIfParked();
            }
            else
            {
                _frames.Enqueue(frame);
                _bytes += frame.Bytes.Length;
                if (_owner == SendOwner.Parked)
                {
                    _owner = SendOwner.Pump;
                    claimed = true;
                }
            }
        }

        wake?.TrySetResult();
        return !_overflowed;
    }

    /// <summary>Asks the send loop for a heartbeat.</summary>
    public void RequestHeartbeat() => Signal(static q => q._heartbeat = true);

    /// <summary>Wakes the send loop for good (a close was requested).</summary>
    public void Close() => Signal(static q =>
    {
        q._closed = true;
        q._frames.Clear();
        q._bytes = 0;
    });

    /// <summary>Takes what is ready for the send loop. Waits (parked) when there is nothing.</summary>
    public async ValueTask<QueueItem> TakeAsync()
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                // Only the owner calls this: Loop (parked waits end by a hand-over to Loop).
                if (_handedOver is { } pending)
                {
                    _handedOver = null;
                    return QueueItem.HandedOver(pending);
                }

                if (_closed)
                {
                    return QueueItem.Closed;
                }

                if (_frames.TryDequeue(out var frame))
                {
                    _bytes -= frame.Bytes.Length;
                    return QueueItem.Of(frame);
                }

                if (_overflowed)
                {
                    _overflowed = false;
                    return QueueItem.Overflowed;
                }

                if (_heartbeat)
                {
                    _heartbeat = false;
                    return QueueItem.Heartbeat;
                }

                _waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _owner = SendOwner.Parked;
                wait = _waiter.Task;
            }

            await wait.ConfigureAwait(false);
        }
    }

    /// <summary>The pump takes the next frame; <see langword="false"/> when none is queued or the queue closed.</summary>
    public bool TryTakeForPump(out SharedFrame frame)
    {
        lock (_lock)
        {
            if (!_closed && _frames.TryDequeue(out frame!))
            {
                _bytes -= frame.Bytes.Length;
                return true;
            }

            frame = null!;
            return false;
        }
    }

    /// <summary>
    /// The pump is done: parks the send loop again, or hands it the socket when a flag needs it (close, overflow,
    /// heartbeat). Returns <see langword="false"/> when frames arrived meanwhile: the pump keeps ownership and goes on.
    /// </summary>
    public bool TryPark()
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            if (!_closed && _frames.Count > 0)
            {
                return false;
            }

            if (!_closed && !_overflowed && !_heartbeat)
            {
                _owner = SendOwner.Parked;
                return true;
            }

            wake = WakeLoop();
        }

        wake?.TrySetResult();
        return true;
    }

    /// <summary>The pump gives the socket to the send loop, which first awaits <paramref name="pendingSend"/> (if any).</summary>
    public void HandOver(Task<bool>? pendingSend)
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            _handedOver = pendingSend;
            wake = WakeLoop();
        }

        wake?.TrySetResult();
    }

    private void Signal(Action<SubscriberQueue> change)
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            change(this);
            wake = WakeLoopIfParked();
        }

        wake?.TrySetResult();
    }

    // Under _lock. While the pump owns the socket, flags wait for its TryPark.
    private TaskCompletionSource? WakeLoopIfParked() => _owner == SendOwner.Parked ? WakeLoop() : null;

    private TaskCompletionSource? WakeLoop()
    {
        var waiter = _waiter;
        _waiter = null;
        _owner = SendOwner.Loop;
        return waiter;
    }
}

/// <summary>What <see cref="SubscriberQueue.TakeAsync"/> returns to the send loop.</summary>
internal readonly record struct QueueItem(QueueItemKind Kind, SharedFrame? Frame, Task<bool>? PendingSend)
{
    public static QueueItem Closed => new(QueueItemKind.Closed, null, null);

    public static QueueItem Overflowed => new(QueueItemKind.Overflowed, null, null);

    public static QueueItem Heartbeat => new(QueueItemKind.Heartbeat, null, null);

    public static QueueItem Of(SharedFrame frame) => new(QueueItemKind.Frame, frame, null);

    public static QueueItem HandedOver(Task<bool> pendingSend) => new(QueueItemKind.HandedOver, null, pendingSend);
}

/// <summary>Kinds of <see cref="QueueItem"/>.</summary>
internal enum QueueItemKind
{
    /// <summary>A frame to send.</summary>
    Frame,

    /// <summary>The queue overflowed: catch up from the store.</summary>
    Overflowed,

    /// <summary>A heartbeat is due.</summary>
    Heartbeat,

    /// <summary>A close was requested: send the close frame and end.</summary>
    Closed,

    /// <summary>The pump started a send that did not complete inline: await it (its result says whether the socket still works).</summary>
    HandedOver,
}
