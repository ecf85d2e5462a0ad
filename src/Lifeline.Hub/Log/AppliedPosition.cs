namespace Lifeline.Hub.Log;

/// <summary>
/// How far a node's mirror has applied the stream: the stream sequence of the last message applied and the last entry id
/// it held, moved together by the applier, and awaited by the writer (an append is answered once its message is applied;
/// a lost race waits until the winner's message is). Thread-safe: one lock.
/// </summary>
internal sealed class AppliedPosition
{
    private readonly Lock _lock = new();
    private (long Sequence, long LastId) _value;
    private TaskCompletionSource _moved = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The stream sequence and last id as of the same applied message.</summary>
    public (long Sequence, long LastId) Value
    {
        get
        {
            lock (_lock)
            {
                return _value;
            }
        }
    }

    public void Set(long sequence, long lastId)
    {
        TaskCompletionSource moved;
        lock (_lock)
        {
            _value = (sequence, lastId);
            moved = _moved;
            _moved = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        moved.TrySetResult();
    }

    /// <summary>Completes once the applied sequence is at least <paramref name="sequence"/>.</summary>
    public async Task WaitForAsync(long sequence, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task moved;
            lock (_lock)
            {
                if (_value.Sequence >= sequence)
                {
                    return;
                }

                moved = _moved.Task;
            }

            await moved.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
