namespace Lifeline.Client.Internal;

/// <summary>
/// An auto-reset signal for one waiter at a time (the send pump): <see cref="Set"/> before a wait makes the next
/// wait complete at once; a set while nobody waits is remembered once, never counted.
/// </summary>
internal sealed class AsyncSignal
{
    private readonly Lock _gate = new();
    private TaskCompletionSource? _waiter;
    private bool _set;

    public void Set()
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            waiter = _waiter;
            _waiter = null;
            _set = waiter is null;
        }

        waiter?.TrySetResult();
    }

    public Task WaitAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_set)
            {
                _set = false;
                return Task.CompletedTask;
            }

            _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _waiter.Task.WaitAsync(cancellationToken);
        }
    }
}
