namespace Lifeline.Testing.Internal;

/// <summary>
/// Tasks that complete once a published count reaches a threshold: lets a test wait for "at least N
/// timers armed" or "at least N connections" without polling or sleeping.
/// </summary>
/// <remarks>
/// Thread-safe. <see cref="Publish"/> may be called under the owner's lock: completions use
/// <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>, so no waiter's continuation runs
/// inline, and cancellation registrations are removed with <see cref="CancellationTokenRegistration.Unregister"/>,
/// which never blocks.
/// </remarks>
internal sealed class ThresholdWaiters
{
    private readonly Lock _gate = new();
    private readonly List<Waiter> _waiters = [];
    private long _value;

    /// <summary>The last published value.</summary>
    public long Value
    {
        get
        {
            lock (_gate)
            {
                return _value;
            }
        }
    }

    /// <summary>Completes when the published value is at least <paramref name="threshold"/>.</summary>
    public Task WaitAsync(long threshold, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        lock (_gate)
        {
            if (_value >= threshold)
            {
                return Task.CompletedTask;
            }

            var waiter = new Waiter(threshold);
            _waiters.Add(waiter);
            if (cancellationToken.CanBeCanceled)
            {
                // If the token is cancelled concurrently the callback runs inline and takes _gate again (re-entrant).
                waiter.Registration = cancellationToken.Register(
                    static s =>
                    {
                        var (owner, w) = ((ThresholdWaiters, Waiter))s!;
                        owner.Cancel(w);
                    },
                    (this, waiter));
                waiter.Token = cancellationToken;
            }

            return waiter.Completion.Task;
        }
    }

    /// <summary>Publishes a new value and completes every waiter whose threshold it reaches.</summary>
    public void Publish(long value)
    {
        lock (_gate)
        {
            _value = value;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                var waiter = _waiters[i];
                if (value >= waiter.Threshold)
                {
                    _waiters.RemoveAt(i);
                    waiter.Registration.Unregister();
                    waiter.Completion.TrySetResult();
                }
            }
        }
    }

    private void Cancel(Waiter waiter)
    {
        lock (_gate)
        {
            _waiters.Remove(waiter);
        }

        waiter.Completion.TrySetCanceled(waiter.Token);
    }

    private sealed class Waiter(long threshold)
    {
        public long Threshold { get; } = threshold;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }

        public CancellationToken Token { get; set; }
    }
}
