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
/// <see cref="SendOwner.Pump"/>: the fan-out claimed a parked queue in <see cref="Enqueue"/> and then calls
/// <see cref="Pump"/>, which sends inline through the <see cref="IFrameSender"/> (sparing a thread hop per subscriber and
/// frame) and gives the socket back with <see cref="TryPark"/> or <see cref="HandOver"/>. The parked send loop's
/// waiter is completed only by whoever hands ownership to it, so the loop never runs while the pump sends. This type
/// owns the whole hand-off protocol; the sender only sends.
/// </para>
/// Thread-safe: one lock; the waiter is completed outside it. Lock order: taken under the fan-out's lock, never the reverse.
/// </summary>
internal sealed class SubscriberQueue(long maxBytes, IFrameSender sender)
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

    /// <summary>
    /// Whether live frames are taken. <see langword="false"/> before the subscriber joins the live stream and from an
    /// overflow until its catch-up re-opens the queue (stats: it is catching up even before its send loop sees the overflow).
    /// </summary>
    public bool IsAccepting { get { lock (_lock) { return _accepting && !_closed; } } }

    /// <summary>
    /// Live and idle: accepting, nothing queued, no send under way (the send loop is parked). Then every committed id has
    /// been examined for this subscriber: the fan-out queues what its filter matches under the lock that commits the ids.
    /// </summary>
    public bool IsIdle { get { lock (_lock) { return _owner == SendOwner.Parked && _accepting && !_overflowed && !_closed; } } }

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
    /// <see cref="Pump"/> (outside its locks).
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

            if (_bytes + frame.Length > maxBytes)
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
                _bytes += frame.Length;
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
                    _bytes -= frame.Length;
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

    /// <summary>
    /// Inline delivery by the thread that claimed this queue in <see cref="Enqueue"/> (its <c>claimed</c> was
    /// true): sends queued frames while each send completes synchronously (the usual case: the transport buffers it),
    /// then parks the send loop again. A send that does not complete at once is handed to the send loop, which awaits it
    /// before anything else, so frames stay in order and sends never overlap. Never throws.
    /// </summary>
    public void Pump()
    {
        try
        {
            do
            {
                while (TryTakeForPump(out var frame))
                {
                    if (sender.IsSent(frame))
                    {
                        continue;
                    }

                    if (!sender.TrySendFrame(frame, out var pending) || pending is not null)
                    {
                        // Pending: the send loop awaits it first. Failed: the close is requested; the loop sends it.
                        HandOver(pending);
                        return;
                    }
                }
            }
            while (!TryPark());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            sender.PumpFailed(e);
            HandOver(null);
        }
    }

    /// <summary>The pump takes the next frame; <see langword="false"/> when none is queued or the queue closed.</summary>
    public bool TryTakeForPump(out SharedFrame frame)
    {
        lock (_lock)
        {
            if (!_closed && _frames.TryDequeue(out frame!))
            {
                _bytes -= frame.Length;
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
