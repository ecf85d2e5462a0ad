namespace Lifeline.Testing.Faults;

/// <summary>The stalled half-open fault (<see cref="HalfOpenMode.Stall"/>): pumps stop reading until healed.</summary>
public sealed partial class FaultProxy
{
    // Directions stalled now, read by the pumps without the lock; _healed (under _gate) completes when the stall ends.
    private volatile int _stalled;
    private TaskCompletionSource? _healed;

    /// <summary>The directions currently stalled (<see cref="HalfOpenMode.Stall"/>); they are also in <see cref="HalfOpen"/>.</summary>
    public Direction HalfOpenStalled => (Direction)_stalled;

    /// <summary>
    /// Stops forwarding in <paramref name="direction"/> while both sockets stay open, the way <paramref name="mode"/>
    /// says: <see cref="HalfOpenMode.Discard"/> is <see cref="SetHalfOpen(Direction)"/>; <see cref="HalfOpenMode.Stall"/>
    /// stops reading, so the sender's writes block once its socket buffers are full. Adds to directions already half-open.
    /// </summary>
    /// <param name="direction">The direction(s) to stop.</param>
    /// <param name="mode">What happens to the bytes written meanwhile.</param>
    public void SetHalfOpen(Direction direction, HalfOpenMode mode)
    {
        if (mode == HalfOpenMode.Discard)
        {
            SetHalfOpen(direction);
            return;
        }

        lock (_gate)
        {
            _stalled |= (int)(direction & Direction.Both);
            if (_healed is null || _healed.Task.IsCompleted)
            {
                _healed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        Log.HalfOpenSet(Logger, direction);
    }

    /// <summary>Completes at once unless <paramref name="direction"/> is stalled; then when it is healed.</summary>
    internal Task WhileStalledAsync(Direction direction, CancellationToken cancellationToken)
    {
        if ((_stalled & (int)direction) == 0)
        {
            return Task.CompletedTask;
        }

        lock (_gate)
        {
            return (_stalled & (int)direction) == 0 || _healed is null ? Task.CompletedTask : _healed.Task.WaitAsync(cancellationToken);
        }
    }

    private void HealStalls()
    {
        TaskCompletionSource? healed;
        lock (_gate)
        {
            _stalled = 0;
            healed = _healed;
        }

        healed?.TrySetResult();
    }
}
