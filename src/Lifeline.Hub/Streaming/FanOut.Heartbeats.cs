namespace Lifeline.Hub.Streaming;

/// <summary>Heartbeats: every <see cref="HubOptions.HeartbeatInterval"/>, subscribers idle for half of it are asked for one.</summary>
internal sealed partial class FanOut
{
    /// <summary>How many send loops one heartbeat round wakes before pausing (see the loop).</summary>
    private const int HeartbeatSlice = 16;

    private static readonly TimeSpan HeartbeatSlicePause = TimeSpan.FromMilliseconds(1);

    /// <summary>The heartbeat loop (completed before <see cref="StartHeartbeats"/>): the hub's stop awaits it.</summary>
    public Task Heartbeats { get; private set; } = Task.CompletedTask;

    /// <summary>Starts the heartbeat loop, which ends when <paramref name="stopping"/> is cancelled.</summary>
    public void StartHeartbeats(CancellationToken stopping) => Heartbeats = HeartbeatLoopAsync(stopping);

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        var time = options.TimeProvider;
        using var timer = new PeriodicTimer(options.HeartbeatInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var idleSince = time.GetTimestamp() - (long)(options.HeartbeatInterval.TotalSeconds / 2 * time.TimestampFrequency);
                var woken = 0;
                foreach (var s in Subscribers)
                {
                    if (s.LastSendTimestamp <= idleSince)
                    {
                        s.Queue.RequestHeartbeat();
                        if (++woken % HeartbeatSlice == 0)
                        {
                            // Each woken send loop's write holds a 4 KiB Kestrel block until the socket write runs, and
                            // those writes run on Kestrel's I/O queue behind the woken loops: pause so they run before
                            // the next slice wakes (else Kestrel's pool grows by a block per idle subscriber at every
                            // heartbeat round, and keeps them). A yield was not enough in 2 runs of 3.
                            await Task.Delay(HeartbeatSlicePause, time, cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
