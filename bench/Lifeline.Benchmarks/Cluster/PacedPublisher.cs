using System.Buffers.Text;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using Lifeline.Benchmarks.Hub.Load;

namespace Lifeline.Benchmarks.Cluster;

/// <summary>
/// One publisher on <c>/v1/ingest</c> sending one entry per publish message against a fixed schedule: entry k is due at
/// start + (k - 1) / rate, and every millisecond tick sends every entry due by then, so a late tick sends more instead of
/// drifting (the schedule lag is recorded). Entry k's message is <c>SENDTIMESTAMP k padding</c> (Stopwatch ticks at the
/// send: the subscribers' latency and <see cref="DeliveryCheck"/> read them) and its <c>ref</c> is k, so each ack gives
/// its publish's ack latency. Runs until <c>count</c> entries are sent; the acks are read the whole time. One run at a
/// time; the counters may be read from another thread.
/// </summary>
internal sealed class PacedPublisher
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);
    private readonly int _rate;
    private readonly int _count;
    private readonly string _padding;
    private readonly long[] _sentAt;
    private long _sent;
    private long _acked;
    private long _errors;

    public PacedPublisher(int rate, int count, int entryBytes)
    {
        _rate = rate;
        _count = count;
        _padding = LoadTraffic.Padding(entryBytes);
        _sentAt = new long[count + 1];
    }

    public long Sent => Volatile.Read(ref _sent);

    public long Acked => Volatile.Read(ref _acked);

    /// <summary>Publishes answered with <c>error</c> (none expected).</summary>
    public long Errors => Volatile.Read(ref _errors);

    /// <summary>How far behind its schedule each send was (recording follows <see cref="LatencyRecorder.Recording"/>).</summary>
    public LatencyRecorder ScheduleLag { get; } = new();

    /// <summary>Publish to ack, per publish.</summary>
    public LatencyRecorder AckLatency { get; } = new();

    /// <summary>Sends the <c>count</c> entries on schedule to <paramref name="hub"/> (a <c>ws://</c> base), then waits (bounded) for their acks.</summary>
    public async Task RunAsync(Uri hub, CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(hub, "v1/ingest"), cancellationToken).ConfigureAwait(false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var receiving = ReceiveAcksAsync(socket, stop.Token);
        try
        {
            using var timer = new PeriodicTimer(Tick);
            var start = Stopwatch.GetTimestamp();
            var next = 1;
            while (next <= _count && await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = Stopwatch.GetTimestamp();
                while (next <= _count && Due(start, next) <= now)
                {
                    var sentAt = Stopwatch.GetTimestamp();
                    ScheduleLag.Record(sentAt - Due(start, next));
                    Volatile.Write(ref _sentAt[next], sentAt);
                    await socket.SendAsync(Message(sentAt, next), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
                    Volatile.Write(ref _sent, next);
                    next++;
                }
            }

            // Bounded: a hub that stopped answering ends the run with acks missing (reported).
            var deadline = Stopwatch.StartNew();
            while (Acked + Errors < _count && deadline.Elapsed < TimeSpan.FromSeconds(30) && !receiving.IsCompleted)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await receiving.ConfigureAwait(false);
            socket.Abort();
        }
    }

    private long Due(long start, int entry) => start + (long)((entry - 1) * (double)Stopwatch.Frequency / _rate);

    private byte[] Message(long sentAt, int sequence) =>
        Encoding.UTF8.GetBytes($"{{\"type\":\"publish\",\"ref\":\"{sequence}\",\"entries\":[{{\"source\":\"bench\",\"message\":\"{sentAt} {sequence} {_padding}\"}}]}}");

    private async Task ReceiveAcksAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 << 10];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                // Acks and errors are small single-frame messages: {"type":"ack","ref":"K",...}.
                var text = buffer.AsSpan(0, result.Count);
                var now = Stopwatch.GetTimestamp();
                if (text.IndexOf("\"type\":\"ack\""u8) < 0)
                {
                    Interlocked.Increment(ref _errors);
                    continue;
                }

                var at = text.IndexOf("\"ref\":\""u8);
                if (at >= 0 && Utf8Parser.TryParse(text[(at + 7)..], out int sequence, out _) && sequence > 0 && sequence < _sentAt.Length)
                {
                    AckLatency.Record(now - Volatile.Read(ref _sentAt[sequence]));
                }

                Interlocked.Increment(ref _acked);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
    }
}
