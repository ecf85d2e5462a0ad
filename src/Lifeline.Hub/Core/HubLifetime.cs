namespace Lifeline.Hub.Core;

/// <summary>
/// The hub's lifetime: whether it is draining, and the requests in flight that use the log (POSTs, queries), so a stop
/// can wait for them. Invariant: once <see cref="IsDraining"/> is true no request enters, so the in-flight count only
/// falls and <see cref="WaitForRequestsAsync"/> completes when it reaches zero. Thread-safe: one lock.
/// </summary>
internal sealed class HubLifetime
{
    private readonly Lock _lock = new();
    private int _inflight;
    private bool _draining;
    private TaskCompletionSource? _inflightDrained;

    /// <summary>Whether the hub is shutting down (new connections and requests are refused).</summary>
    public bool IsDraining => Volatile.Read(ref _draining);

    /// <summary>Requests in flight now.</summary>
    public int Inflight => Volatile.Read(ref _inflight);

    /// <summary>Counts a request that uses the log; <see langword="false"/> while draining.</summary>
    public bool TryEnterRequest()
    {
        lock (_lock)
        {
            if (_draining)
            {
                return false;
            }

            _inflight++;
            return true;
        }
    }

    public void ExitRequest()
    {
        TaskCompletionSource? drained = null;
        lock (_lock)
        {
            if (--_inflight == 0 && _draining)
            {
                drained = _inflightDrained;
            }
        }

        drained?.TrySetResult();
    }

    /// <summary>Starts draining; <see langword="false"/> if it had started already.</summary>
    public bool TryBeginDrain()
    {
        lock (_lock)
        {
            if (_draining)
            {
                return false;
            }

            Volatile.Write(ref _draining, true);
            _inflightDrained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_inflight == 0)
            {
                _inflightDrained.TrySetResult();
            }

            return true;
        }
    }

    /// <summary>Completes when no request is in flight (after <see cref="TryBeginDrain"/>); throws <see cref="TimeoutException"/> past <paramref name="timeout"/>.</summary>
    public Task WaitForRequestsAsync(TimeSpan timeout, TimeProvider time) => _inflightDrained!.Task.WaitAsync(timeout, time);
}
