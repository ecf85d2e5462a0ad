using System.Collections.Concurrent;
using Lifeline.Hub.Client;
using Lifeline.Hub.Client.Shipping;
using Lifeline.Protocol;

namespace Lifeline.Extensions.Logging.Tests.Shipping;

/// <summary>
/// An in-process publisher for the shipper's own unit tests (the hub-backed tests use the real hub): it records
/// every acknowledged batch and can be taken "down" so that publishes wait until it is back.
/// </summary>
internal sealed class InProcessPublisher : ILogBatchPublisher
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _up = NewUp(completed: true);
    private long _nextId = 1;

    public ConcurrentQueue<IReadOnlyList<LogEntry>> Batches { get; } = new();

    /// <summary>Rejects the first publish containing an entry with this message, naming its index.</summary>
    public string? RejectMessage { get; set; }

    /// <summary>How many of the next publishes are answered <c>unavailable</c> (a cluster node whose engine is down), nothing stored.</summary>
    public int UnavailableAnswers { get; set; }

    public bool Disposed { get; private set; }

    public IEnumerable<LogEntry> Stored => Batches.SelectMany(b => b);

    public void GoDown()
    {
        lock (_lock)
        {
            if (_up.Task.IsCompleted)
            {
                _up = NewUp(completed: false);
            }
        }
    }

    public void ComeBack()
    {
        lock (_lock)
        {
            _up.TrySetResult();
        }
    }

    public async Task<PublishAck> PublishAsync(IReadOnlyList<LogEntry> batch, CancellationToken cancellationToken)
    {
        Task up;
        lock (_lock)
        {
            up = _up.Task;
        }

        await up.WaitAsync(cancellationToken);
        if (UnavailableAnswers > 0)
        {
            UnavailableAnswers--;
            throw new HubPublishRejectedException(ErrorCodes.Unavailable, "the engine did not take the append within 10 s", null);
        }

        if (RejectMessage is { } reject && batch.ToList().FindIndex(e => e.Message == reject) is var index and >= 0)
        {
            RejectMessage = null;
            throw new HubPublishRejectedException("invalid_entry", "bad entry", index);
        }

        var copy = batch.ToArray();
        var first = _nextId;
        _nextId += copy.Length;
        Batches.Enqueue(copy);
        return new PublishAck(copy.Length, first, _nextId - 1);
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }

    private static TaskCompletionSource NewUp(bool completed)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed)
        {
            tcs.SetResult();
        }

        return tcs;
    }
}
