using System.Diagnostics;
using Lifeline.Benchmarks.Hub.Load;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Lifeline.Benchmarks.Baselines;

/// <summary>
/// How the hub-load scenarios drive the SignalR baseline (<see cref="SignalRServerCommand"/>): lean subscribers that
/// speak SignalR's JSON protocol over WebSockets without the negotiate request (as a client with
/// <c>SkipNegotiation</c> does), and a publisher that is the real SignalR client, one <c>Publish</c> invocation per entry,
/// pipelined (<c>SendAsync</c> does not wait for the server).
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
    /// The publisher for <see cref="HubLoadOptions.BaselinePublisher"/>: one invocation per entry, its argument the send
    /// timestamp and padding such that the broadcast record (<c>{"type":1,"target":"entry","arguments":["…"]}</c>) is
    /// about <paramref name="entryBytes"/>, the size of one hub entry.
    /// </summary>
    public static Func<Uri, PublishPace, CancellationToken, Task> Publisher(int entryBytes) =>
        (server, pace, cancellationToken) => PublishAsync(server, pace, new string('x', Math.Max(8, entryBytes - 70)), cancellationToken);

    private static async Task PublishAsync(Uri server, PublishPace pace, string padding, CancellationToken cancellationToken)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server, SignalRServerCommand.HubPath.TrimStart('/')), o =>
            {
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
            })
            .Build();
        // The broadcast comes back to the publisher too (Clients.All); it is not counted.
        using var ignored = connection.On<string>(BroadcastHub.EntryMethod, _ => { });
        await using (connection)
        {
            await connection.StartAsync(cancellationToken);
            try
            {
                using var timer = new PeriodicTimer(LoadTraffic.PublishTick);
                pace.TakeDue();
                while (await timer.WaitForNextTickAsync(cancellationToken))
                {
                    var due = pace.TakeDue();
                    for (var i = 0; i < due; i++)
                    {
                        var message = $"{Stopwatch.GetTimestamp():D19} {padding}";
                        await connection.SendAsync(nameof(BroadcastHub.Publish), message, cancellationToken);
                        pace.AddSent(1);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }

            await connection.StopAsync(CancellationToken.None);
        }
    }
}
