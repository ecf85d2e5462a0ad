using Lifeline.Hub.Streaming;
using Lifeline.Testing.Tasks;

namespace Lifeline.Hub.Tests.Streaming;

/// <summary>
/// The send-ownership hand-offs of <see cref="SubscriberQueue"/>: the writer loop may claim a parked queue and send
/// inline (the pump); the send loop must not wake while the pump owns the socket, and must get every frame, flag and
/// pending send in order once it does.
/// </summary>
public class SubscriberQueueTests
{
    private static SharedFrame Frame(long lastId) => SharedFrame.FromPayload(new byte[100], lastId, lastId, 1);

    private static SubscriberQueue AcceptingQueue(long maxBytes = 1_000)
    {
        var queue = new SubscriberQueue(maxBytes, new RecordingSender());
        queue.Accept();
        return queue;
    }

    [Fact]
    public void Enqueue_WhileTheSendLoopRuns_DoesNotClaim()
    {
        var queue = AcceptingQueue();
        Assert.True(queue.Enqueue(Frame(1), out var claimed));
        Assert.False(claimed);
    }

    [Fact]
    public async Task Enqueue_OnAParkedQueue_ClaimsOnce_AndThePumpParksItAgainWithoutWakingTheLoop()
    {
        var queue = AcceptingQueue();
        var take = queue.TakeAsync();
        Assert.False(take.IsCompleted);

        Assert.True(queue.Enqueue(Frame(1), out var first));
        Assert.True(queue.Enqueue(Frame(2), out var second));
        Assert.True(first);
        Assert.False(second);
        Assert.False(take.IsCompleted);

        Assert.True(queue.TryTakeForPump(out var a));
        Assert.Equal(1, a.LastId);
        Assert.False(queue.TryPark());                 // frame 2 is still queued: the pump goes on
        Assert.True(queue.TryTakeForPump(out var b));
        Assert.Equal(2, b.LastId);
        Assert.True(queue.TryPark());
        Assert.False(take.IsCompleted);

        // Parked again: the next frame is claimed again, and a close hands the socket to the loop.
        Assert.True(queue.Enqueue(Frame(3), out var third));
        Assert.True(third);
        queue.Close();
        Assert.False(take.IsCompleted);
        Assert.False(queue.TryTakeForPump(out _));
        Assert.True(queue.TryPark());
        Assert.Equal(QueueItemKind.Closed, (await take.AsTask().OrTimeout()).Kind);
    }

    [Fact]
    public async Task HeartbeatRequestedDuringAPump_WakesTheLoopOnlyWhenThePumpParks()
    {
        var queue = AcceptingQueue();
        var take = queue.TakeAsync();
        Assert.True(queue.Enqueue(Frame(1), out var claimed) && claimed);
        queue.RequestHeartbeat();
        Assert.False(take.IsCompleted);

        Assert.True(queue.TryTakeForPump(out _));
        Assert.True(queue.TryPark());
        Assert.Equal(QueueItemKind.Heartbeat, (await take.AsTask().OrTimeout()).Kind);
    }

    [Fact]
    public async Task HandOver_GivesTheLoopThePendingSendFirst_ThenTheRemainingFramesInOrder()
    {
        var queue = AcceptingQueue();
        var take = queue.TakeAsync();
        Assert.True(queue.Enqueue(Frame(1), out var claimed) && claimed);
        Assert.True(queue.Enqueue(Frame(2), out _));
        Assert.True(queue.TryTakeForPump(out _));
        var pending = new TaskCompletionSource<bool>();

        queue.HandOver(pending.Task);
        var item = await take.AsTask().OrTimeout();
        Assert.Equal(QueueItemKind.HandedOver, item.Kind);
        Assert.Same(pending.Task, item.PendingSend);

        var next = await queue.TakeAsync().AsTask().OrTimeout();
        Assert.Equal(QueueItemKind.Frame, next.Kind);
        Assert.Equal(2, next.Frame!.LastId);
    }

    [Fact]
    public async Task OverflowDuringAPump_ClearsTheQueue_AndTheLoopGetsOverflowedWhenThePumpParks()
    {
        var queue = AcceptingQueue(maxBytes: 250);
        var take = queue.TakeAsync();
        Assert.True(queue.Enqueue(Frame(1), out var claimed) && claimed);
        Assert.True(queue.Enqueue(Frame(2), out _));
        Assert.False(queue.Enqueue(Frame(3), out _));  // 300 bytes > 250: overflow
        Assert.False(take.IsCompleted);

        Assert.False(queue.TryTakeForPump(out _));      // cleared
        Assert.True(queue.TryPark());
        Assert.Equal(QueueItemKind.Overflowed, (await take.AsTask().OrTimeout()).Kind);
        Assert.Equal(0, queue.QueuedBytes);

        // Not accepting until catch-up re-opens it.
        Assert.True(queue.Enqueue(Frame(4), out var afterOverflow));
        Assert.False(afterOverflow);
        Assert.Equal(0, queue.QueuedBytes);
    }

    [Fact]
    public async Task Pump_SendsEveryQueuedFrameInOrder_ThenParks_AndHandsAPendingSendToTheLoop()
    {
        var sender = new RecordingSender();
        var queue = new SubscriberQueue(1_000, sender);
        queue.Accept();
        var parked = queue.TakeAsync();
        Assert.False(parked.IsCompleted);

        Assert.True(queue.Enqueue(Frame(1), out var claimed));
        Assert.True(claimed);
        Assert.True(queue.Enqueue(Frame(2), out var again));
        Assert.False(again);                            // one claim per parked period
        queue.Pump();
        Assert.Equal([1L, 2L], sender.Sent);
        Assert.False(parked.IsCompleted);               // parked again: the loop never woke

        // A send that does not complete at once goes to the loop, which gets it before the frames queued behind it.
        var pending = new TaskCompletionSource<bool>();
        sender.NextPending = pending.Task;
        Assert.True(queue.Enqueue(Frame(3), out claimed));
        Assert.True(queue.Enqueue(Frame(4), out _));
        Assert.True(claimed);
        queue.Pump();
        var item = await parked.AsTask().OrTimeout();
        Assert.Equal(QueueItemKind.HandedOver, item.Kind);
        Assert.Same(pending.Task, item.PendingSend);
        Assert.Equal(4, (await queue.TakeAsync().AsTask().OrTimeout()).Frame!.LastId);
    }

    /// <summary>Sends nothing: records the frames the pump sends; completes them synchronously unless told otherwise.</summary>
    private sealed class RecordingSender : IFrameSender
    {
        public List<long> Sent { get; } = [];

        public Task<bool>? NextPending { get; set; }

        public bool IsSent(SharedFrame frame) => Sent.Contains(frame.LastId);

        public bool TrySendFrame(SharedFrame frame, out Task<bool>? pending)
        {
            Sent.Add(frame.LastId);
            pending = NextPending;
            NextPending = null;
            return true;
        }

        public void PumpFailed(Exception exception) => throw new InvalidOperationException("the pump failed", exception);
    }
}
