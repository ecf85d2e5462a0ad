namespace Lifeline.Client.Internal;

/// <summary>
/// The bounded, ordered send buffer. Invariants (under <c>_gate</c>): every message in <c>_items</c> has a pending
/// outcome; a message leaves the list exactly once, and whoever removes it completes its outcome (sent by the pump,
/// dropped, expired, failed or cancelled); once closed, the list is empty and nothing is added again.
/// </summary>
internal sealed class SendBuffer
{
    private readonly Lock _gate = new();
    private readonly LinkedList<PendingSend> _items = new();
    private readonly SendBufferOptions _options;
    private readonly TimeProvider _time;
    private readonly ClientMetrics _metrics;
    private readonly AsyncSignal _itemAdded = new();
    private TaskCompletionSource? _spaceFreed;
    private string? _closedReason;

    public SendBuffer(SendBufferOptions options, TimeProvider time, ClientMetrics metrics)
    {
        _options = options;
        _time = time;
        _metrics = metrics;
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _items.Count;
            }
        }
    }

    /// <summary>Adds under the overflow policy: null when added; otherwise the message's immediate result, or
    /// <see langword="null"/> with <paramref name="mustWait"/> when the policy is <see cref="SendOverflowPolicy.Wait"/> and the buffer is full.</summary>
    public SendResult? TryAdd(PendingSend item, out bool mustWait)
    {
        mustWait = false;
        PendingSend? evicted = null;
        lock (_gate)
        {
            if (_closedReason is not null)
            {
                return Fail(SendStatus.Failed, _closedReason);
            }

            PruneExpiredLocked();
            if (_items.Count >= _options.Capacity)
            {
                switch (_options.OverflowPolicy)
                {
                    case SendOverflowPolicy.Fail:
                        return Fail(SendStatus.Dropped, $"send buffer full ({_options.Capacity} messages)");
                    case SendOverflowPolicy.Wait:
                        mustWait = true;
                        return null;
                    default:
                        evicted = _items.First!.Value;
                        RemoveLocked(evicted);
                        break;
                }
            }

            item.Node = _items.AddLast(item);
        }

        if (evicted is not null)
        {
            Complete(evicted, new SendResult(SendStatus.Dropped, $"evicted by a newer message: send buffer full ({_options.Capacity} messages)"));
        }

        _itemAdded.Set();
        return null;
    }

    /// <summary>Takes the oldest live message (expiring the stale ones first), or null when empty.</summary>
    public PendingSend? TryTake()
    {
        lock (_gate)
        {
            PruneExpiredLocked();
            if (_items.First is not { } first)
            {
                return null;
            }

            RemoveLocked(first.Value);
            return first.Value;
        }
    }

    public Task WaitForItemAsync(CancellationToken cancellationToken) => _itemAdded.WaitAsync(cancellationToken);

    public Task WaitForSpaceAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_items.Count < _options.Capacity || _closedReason is not null)
            {
                return Task.CompletedTask;
            }

            _spaceFreed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _spaceFreed.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Removes a message its sender gave up on; false if it already left the buffer (being sent, or done).</summary>
    public bool TryRemove(PendingSend item)
    {
        lock (_gate)
        {
            if (item.Node is null)
            {
                return false;
            }

            RemoveLocked(item);
            return true;
        }
    }

    /// <summary>Closes the buffer for good and fails everything in it; returns how many messages that was.</summary>
    public int Close(string reason)
    {
        List<PendingSend> failed;
        lock (_gate)
        {
            _closedReason ??= reason;
            failed = [.. _items];
            foreach (var item in failed)
            {
                RemoveLocked(item);
            }
        }

        foreach (var item in failed)
        {
            Complete(item, new SendResult(SendStatus.Failed, reason));
        }

        return failed.Count;
    }

    public SendResult Fail(SendStatus status, string reason)
    {
        _metrics.NotSent(status);
        return new SendResult(status, reason);
    }

    public void Complete(PendingSend item, SendResult result)
    {
        if (item.TryComplete(result) && !result.IsSent)
        {
            _metrics.NotSent(result.Status);
        }
    }

    private void PruneExpiredLocked()
    {
        if (_options.TimeToLive is not { } ttl)
        {
            return;
        }

        while (_items.First is { } first && _time.GetElapsedTime(first.Value.EnqueuedTimestamp) >= ttl)
        {
            RemoveLocked(first.Value);
            Complete(first.Value, new SendResult(SendStatus.Expired, $"waited longer than the time to live ({ttl})"));
        }
    }

    private void RemoveLocked(PendingSend item)
    {
        _items.Remove(item.Node!);
        item.Node = null;
        if (_spaceFreed is { } space)
        {
            _spaceFreed = null;
            space.TrySetResult();
        }
    }
}
