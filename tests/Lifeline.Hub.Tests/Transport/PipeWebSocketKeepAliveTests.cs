using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.WebSockets;
using Lifeline.Hub.Transport;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

namespace Lifeline.Hub.Tests.Transport;

/// <summary>
/// The lean socket's keep-alive and abort, on a fake clock over in-memory pipes: a ping every interval; a pong with
/// the ping's payload keeps the socket; a late one aborts it; an unasked pong proves nothing; an abort ends a send that
/// waits for a peer that reads nothing, and a receive.
/// </summary>
public class PipeWebSocketKeepAliveTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PongTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task PingNotAnswered_WithinTheTimeout_AbortsTheSocket()
    {
        var time = new ManualTimeProvider();
        var peer = new Peer();
        using var socket = new PipeWebSocket(peer.ServerSide, null, Interval, PongTimeout, time);

        time.Advance(Interval);
        var ping = await peer.ReadFrameAsync();
        Assert.Equal(0x89, ping.FirstByte);
        Assert.Equal(8, ping.Payload.Length);
        Assert.Equal(WebSocketState.Open, socket.State);

        time.Advance(PongTimeout);
        Assert.Equal(WebSocketState.Aborted, socket.State);
        Assert.True(socket.KeepAliveTimedOut);
    }

    [Fact]
    public async Task PingAnswered_KeepsTheSocket_AndTheNextPingFollowsAnIntervalLater()
    {
        var time = new ManualTimeProvider();
        var peer = new Peer();
        using var socket = new PipeWebSocket(peer.ServerSide, null, Interval, PongTimeout, time);
        var receiving = socket.ReceiveAsync(new byte[16].AsMemory(), CancellationToken.None).AsTask();

        time.Advance(Interval);
        var ping = await peer.ReadFrameAsync();
        await peer.SendAsync(RawWebSocket.Frame(0x8A, ping.Payload));
        await peer.SyncAsync();   // the receive side has handled everything sent before

        time.Advance(PongTimeout);
        Assert.Equal(WebSocketState.Open, socket.State);
        time.Advance(Interval - PongTimeout);
        var next = await peer.ReadFrameAsync();
        Assert.Equal(0x89, next.FirstByte);
        Assert.NotEqual(ping.Payload, next.Payload);

        socket.Abort();
        await Assert.ThrowsAsync<WebSocketException>(() => receiving.OrTimeout());
    }

    [Fact]
    public async Task UnaskedPong_DoesNotAnswerThePing()
    {
        var time = new ManualTimeProvider();
        var peer = new Peer();
        using var socket = new PipeWebSocket(peer.ServerSide, null, Interval, PongTimeout, time);
        var receiving = socket.ReceiveAsync(new byte[16].AsMemory(), CancellationToken.None).AsTask();

        time.Advance(Interval);
        var ping = await peer.ReadFrameAsync();
        await peer.SendAsync(RawWebSocket.Frame(0x8A, [1, 2, 3, 4, 5, 6, 7, 8]));   // some clients' own keep-alive
        await peer.SyncAsync();

        time.Advance(PongTimeout);
        Assert.Equal(WebSocketState.Aborted, socket.State);
        await Assert.ThrowsAsync<WebSocketException>(() => receiving.OrTimeout());
        Assert.NotEqual([1, 2, 3, 4, 5, 6, 7, 8], ping.Payload);
    }

    [Fact]
    public async Task Abort_EndsASendThatWaitsForAPeerThatReadsNothing_AndThePingQueuedBehindIt()
    {
        var time = new ManualTimeProvider();
        var peer = new Peer(pauseWriterThreshold: 1024);
        using var socket = new PipeWebSocket(peer.ServerSide, null, Interval, PongTimeout, time);

        var send = socket.SendAsync(new byte[4096].AsMemory(), WebSocketMessageType.Text, true, CancellationToken.None).AsTask();
        Assert.False(send.IsCompleted);   // the peer reads nothing: the pipe is past its threshold
        time.Advance(Interval);           // the ping waits behind the send
        Assert.False(socket.PingSend.IsCompleted);

        time.Advance(PongTimeout);        // its pong cannot come: the deadline aborts
        Assert.Equal(WebSocketState.Aborted, socket.State);
        await Assert.ThrowsAsync<WebSocketException>(() => send.OrTimeout());
        await socket.PingSend.OrTimeout();
    }

    /// <summary>The client end of two in-memory pipes.</summary>
    private sealed class Peer(long pauseWriterThreshold = 65536)
    {
        private readonly Pipe _toServer = new();
        private readonly Pipe _toClient = new(new PipeOptions(pauseWriterThreshold: pauseWriterThreshold, resumeWriterThreshold: pauseWriterThreshold / 2));
        private int _syncs;

        public IDuplexPipe ServerSide => new Duplex(_toServer.Reader, _toClient.Writer);

        public async Task SendAsync(byte[] frame) => await _toServer.Writer.WriteAsync(frame);

        /// <summary>Sends a ping and waits for its pong: everything sent before has been handled.</summary>
        public async Task SyncAsync()
        {
            var token = BitConverter.GetBytes(++_syncs);
            await SendAsync(RawWebSocket.Frame(0x89, token));
            while (true)
            {
                var frame = await ReadFrameAsync();
                if (frame.FirstByte == 0x8A && frame.Payload.AsSpan().SequenceEqual(token))
                {
                    return;
                }
            }
        }

        public async Task<ServerFrame> ReadFrameAsync()
        {
            var reader = _toClient.Reader;
            while (true)
            {
                var read = await reader.ReadAsync().AsTask().OrTimeout();
                var data = read.Buffer;
                if (data.Length >= 2)
                {
                    var bytes = data.Slice(0, Math.Min(data.Length, 10)).ToArray();
                    var length7 = bytes[1] & 0x7F;
                    var header = length7 == 126 ? 4 : length7 == 127 ? 10 : 2;
                    var length = length7 == 126 ? BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(2)) : length7 == 127 ? (long)BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(2)) : length7;
                    if (data.Length >= header + length)
                    {
                        var payload = data.Slice(header, length).ToArray();
                        reader.AdvanceTo(data.GetPosition(header + length));
                        return new ServerFrame(bytes[0], false, header, payload);
                    }
                }

                reader.AdvanceTo(data.Start, data.End);
            }
        }

        private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
        {
            public PipeReader Input { get; } = input;

            public PipeWriter Output { get; } = output;
        }
    }
}
