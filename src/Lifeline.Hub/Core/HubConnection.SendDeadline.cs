using Microsoft.Extensions.Logging;

namespace Lifeline.Hub.Core;

/// <summary>
/// The send deadline (docs/hub.md, "Dead subscribers"): a send that has waited for the peer for
/// <see cref="HubOptions.KeepAliveInterval"/> + <see cref="HubOptions.KeepAliveTimeout"/> aborts the connection.
/// The WebSocket's ping deadline cannot see such a peer: its pings queue behind the stuck send, and a peer that still
/// sends (pongs, data) keeps them from being sent at all. So however much traffic the hub has, a peer that takes in
/// no bytes is dropped within the same bound as one that stops answering pings. Timed on the hub's
/// <see cref="HubOptions.TimeProvider"/>.
/// </summary>
internal abstract partial class HubConnection
{
    // Owned by the send side (one send at a time): armed while a send is pending, disarmed when it ends. Created on the
    // first pending send (an idle connection has none); disposed by RunAsync once both loops have ended, so the strong
    // reference its callback state holds lives no longer than the connection's run.
    private ITimer? _sendDeadline;
    private int _sendDeadlinePassed;

    /// <summary>Whether the send deadline aborted this connection.</summary>
    public bool SendDeadlinePassed => Volatile.Read(ref _sendDeadlinePassed) != 0;

    private TimeSpan SendTimeout => Hub.Options.KeepAliveInterval + Hub.Options.KeepAliveTimeout;

    private void ArmSendDeadline()
    {
        _sendDeadline ??= Hub.Time.CreateTimer(static state => ((HubConnection)state!).OnSendDeadline(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _sendDeadline.Change(SendTimeout, Timeout.InfiniteTimeSpan);
    }

    private void DisarmSendDeadline() => _sendDeadline?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    private void DisposeSendDeadline() => _sendDeadline?.Dispose();

    private void OnSendDeadline()
    {
        if (Interlocked.Exchange(ref _sendDeadlinePassed, 1) == 0)
        {
            LogSendDeadline(Logger, GetType().Name, ClientId, SendTimeout.TotalSeconds);
        }

        // Aborting disposes the socket's stream, which fails the stuck send: both loops then end, and the connection
        // leaves the fan-out and the registry (an abnormal disconnect: no close frame was received).
        Abort();
    }

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "{Connection} of client {ClientId}: a send waited {Seconds} s for the peer to read; aborting the connection")]
    private static partial void LogSendDeadline(ILogger logger, string connection, string? clientId, double seconds);
}
