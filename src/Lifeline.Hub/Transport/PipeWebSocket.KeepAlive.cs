using System.Buffers.Binary;
using System.Net.WebSockets;

namespace Lifeline.Hub.Transport;

/// <summary>
/// Keep-alive, as <c>ManagedWebSocket</c> does it with a keep-alive timeout: a ping every interval, and when its pong
/// (the same 8-byte payload) has not come back within the timeout the socket is aborted. A ping that has to wait behind
/// a send stuck on a peer that reads nothing still counts from when it was due, so such a peer is aborted too. Unasked
/// pongs (some clients send them as their own keep-alive) prove nothing and change nothing.
/// </summary>
internal sealed partial class PipeWebSocket
{
    private readonly TimeProvider _time;

    // The keep-alive timer holds only a weak reference to the socket (a socket nobody disposed can still be collected).
    // Set once in the constructor, disposed by Abort or Dispose.
    private ITimer? _keepAlive;
    private long _timeoutTicks;     // the pong deadline, in TimeProvider timestamp ticks
    private long _intervalTicks;    // how often a ping is due, in the same ticks

    // Shared by the timer and the receive side, by Interlocked: the payload of the ping awaiting its pong (0: none) and
    // when that ping was due.
    private long _pingPayload;
    private long _pingDueTimestamp;
    private long _lastPingPayload;

    // The last ping's send (it never throws): complete unless it waits behind a send, which an abort ends.
    private Task _ping = Task.CompletedTask;

    /// <summary>The last keep-alive ping's send, for tests: it ends with the send it waits behind.</summary>
    internal Task PingSend => _ping;

    /// <summary>Whether the keep-alive deadline aborted the socket (a pong was late).</summary>
    public bool KeepAliveTimedOut { get; private set; }

    private void StartKeepAlive(TimeSpan interval, TimeSpan timeout)
    {
        if (interval <= TimeSpan.Zero || interval == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        _intervalTicks = ToTicks(interval);
        _timeoutTicks = timeout <= TimeSpan.Zero || timeout == Timeout.InfiniteTimeSpan ? 0 : ToTicks(timeout);

        // Checked often enough to notice a late pong within a tick of its deadline, and to ping on time.
        var period = _timeoutTicks == 0 ? interval : TimeSpan.FromTicks(Math.Min(interval.Ticks, timeout.Ticks));
        _keepAlive = _time.CreateTimer(
            static state =>
            {
                if (((WeakReference<PipeWebSocket>)state!).TryGetTarget(out var socket))
                {
                    socket.OnKeepAliveTick();
                }
            },
            new WeakReference<PipeWebSocket>(this),
            period,
            period);
        Volatile.Write(ref _pingDueTimestamp, _time.GetTimestamp());   // the first ping is due an interval from now
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private void StopKeepAlive() => _keepAlive?.Dispose();

    private void OnKeepAliveTick()
    {
        var state = State;
        if (state is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        var now = _time.GetTimestamp();
        if (Interlocked.Read(ref _pingPayload) != 0)
        {
            if (_timeoutTicks != 0 && now - Interlocked.Read(ref _pingDueTimestamp) >= _timeoutTicks)
            {
                KeepAliveTimedOut = true;
                Abort();
            }

            return;
        }

        if (now - Interlocked.Read(ref _pingDueTimestamp) < _intervalTicks)
        {
            return;
        }

        var payload = Interlocked.Increment(ref _lastPingPayload);
        Interlocked.Exchange(ref _pingDueTimestamp, now);
        if (_timeoutTicks != 0)
        {
            Interlocked.Exchange(ref _pingPayload, payload);
        }

        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, payload);

        // Runs on the timer's thread until the send lock is taken: a ping behind a stuck send waits with it, and ends
        // when that send ends (an abort ends it). SendControlAsync observes every failure, so nothing is left unobserved.
        _ping = SendControlAsync(WebSocketFrames.Ping, bytes);
    }

    /// <summary>The receive side got a pong: it answers the outstanding ping when the payload matches.</summary>
    private void OnPong(ReadOnlySpan<byte> payload)
    {
        var expected = Interlocked.Read(ref _pingPayload);
        if (expected != 0 && payload.Length == 8 && BinaryPrimitives.ReadInt64BigEndian(payload) == expected)
        {
            Interlocked.CompareExchange(ref _pingPayload, 0, expected);
            Interlocked.Exchange(ref _pingDueTimestamp, _time.GetTimestamp());
        }
    }

    /// <summary>Sends a ping or pong; never throws: a socket that can no longer send is left to its receive side to notice.</summary>
    private async Task SendControlAsync(byte opcode, byte[] payload)
    {
        try
        {
            await SendFrameAsync(opcode, payload, fin: true, framed: false).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or InvalidOperationException)
        {
        }
    }
}
