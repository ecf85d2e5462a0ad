using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using Lifeline.Benchmarks.Hub.Load;

namespace Lifeline.Benchmarks.Baselines;

/// <summary>
/// How the hub-load scenarios drive the SignalR baseline (<see cref="SignalRServerCommand"/>): lean subscribers that
/// speak SignalR's JSON protocol over WebSockets without the negotiate request (as a client with
/// <c>SkipNegotiation</c> does), and a publisher that speaks the same protocol, one <c>Publish</c> invocation per entry,
/// pipelined (as the SignalR client's <c>SendAsync</c>, which does not wait for the server).
/// </summary>
internal static class SignalRBaseline
{
    /// <summary>
    /// The subscription (every JSON-protocol message ends with the record separator 0x1e): handshake, then invocations of <see cref="BroadcastHub.EntryMethod"/> (type 1; the server's pings
    /// are type 6), the argument starting with the send timestamp; a ping every 10 s keeps the server's 30 s client timeout away.
    /// </summary>
    public static LeanFormat Format { get; } = new(
        SignalRServerCommand.HubPath,
        Handshake: "{\"protocol\":\"json\",\"version\":1}\u001e"u8.ToArray(),
        KeepAlive: "{\"type\":6}\u001e"u8.ToArray(),
        EntryMarker: "{\"type\":1,"u8.ToArray(),
        TimestampMarker: "\"arguments\":[\""u8.ToArray(),
        Ordered: false);

    /// <summary>
    /// The publisher for <see cref="HubLoadOptions.BaselinePublisher"/>: one non-blocking invocation of
    /// <see cref="BroadcastHub.Publish"/> per entry (no invocation id, so no completion comes back), each its own WebSocket
    /// message, pipelined, as a SignalR client's <c>SendAsync</c> sends it. It speaks the JSON protocol over a raw
    /// WebSocket, as the Lifeline publisher does, so that both publishers cost the load generator's core alike (the
    /// real SignalR client also parses every message the server sends it).
    /// The argument is the send timestamp plus padding such that the broadcast record
    /// (<c>{"type":1,"target":"entry","arguments":["…"]}</c>) is about <paramref name="entryBytes"/>, one hub entry.
    /// </summary>
    public static Func<Uri, PublishPace, CancellationToken, Task> Publisher(int entryBytes) =>
        (server, pace, cancellationToken) => PublishAsync(server, pace, new string('x', Math.Max(8, entryBytes - 70)), cancellationToken);

    private static async Task PublishAsync(Uri server, PublishPace pace, string padding, CancellationToken cancellationToken)
    {
        var ws = new UriBuilder(new Uri(server, SignalRServerCommand.HubPath.TrimStart('/'))) { Scheme = server.Scheme == "https" ? "wss" : "ws" }.Uri;
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(ws, cancellationToken).ConfigureAwait(false);
        await socket.SendAsync(Format.Handshake!, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var draining = DrainAsync(socket, stop.Token);   // the handshake answer and the server's pings
        var message = Encoding.UTF8.GetBytes($"{{\"type\":1,\"target\":\"{nameof(BroadcastHub.Publish)}\",\"arguments\":[\"{new string('0', 19)} {padding}\"]}}\u001e");
        var stamp = message.AsSpan().IndexOf("\"arguments\":[\""u8) + 14;
        try
        {
            using var timer = new PeriodicTimer(LoadTraffic.PublishTick);
            var lastPing = Stopwatch.GetTimestamp();
            pace.TakeDue();
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var due = pace.TakeDue();
                for (var i = 0; i < due; i++)
                {
                    Utf8Formatter.TryFormat(Stopwatch.GetTimestamp(), message.AsSpan(stamp, 19), out _, new StandardFormat('D', 19));
                    await socket.SendAsync(message, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
                    pace.AddSent(1);
                }

                if (Stopwatch.GetElapsedTime(lastPing) > TimeSpan.FromSeconds(10))
                {
                    await socket.SendAsync(Format.KeepAlive!, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
                    lastPing = Stopwatch.GetTimestamp();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            socket.Abort();
            await draining.ConfigureAwait(false);
        }
    }

    private static async Task DrainAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        try
        {
            while ((await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
        }
    }
}
