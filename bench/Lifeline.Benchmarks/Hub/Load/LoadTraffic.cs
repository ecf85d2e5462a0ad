using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>Publishing for load runs: prebuilt ~N-byte entries over WebSocket ingest (pipelined) or HTTP NDJSON.</summary>
internal static class LoadTraffic
{
    /// <summary>Padding so that one stored entry (id, ts, level, source, message) is about <paramref name="entryBytes"/>.</summary>
    public static string Padding(int entryBytes) => new('x', Math.Max(8, entryBytes - 125));

    public static byte[] NdjsonBody(int count, int entryBytes)
    {
        var line = $"{{\"level\":\"information\",\"source\":\"bench\",\"message\":\"0 {Padding(entryBytes)}\"}}\n";
        return Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(line, count)));
    }

    /// <summary>A publish message of <paramref name="count"/> entries whose message starts with the send timestamp.</summary>
    public static byte[] PublishMessage(int count, int entryBytes, long timestamp)
    {
        var entry = $"{{\"source\":\"bench\",\"message\":\"{timestamp} {Padding(entryBytes)}\"}}";
        return Encoding.UTF8.GetBytes($"{{\"type\":\"publish\",\"ref\":\"b\",\"entries\":[{string.Join(",", Enumerable.Repeat(entry, count))}]}}");
    }

    public static HttpClient Http(Uri hub, string? key)
    {
        var http = new HttpClient { BaseAddress = hub, Timeout = TimeSpan.FromMinutes(2) };
        if (key is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return http;
    }

    /// <summary>POSTs <paramref name="body"/> (of <paramref name="count"/> entries) in a loop until cancelled; counts acknowledged entries.</summary>
    public static async Task PostLoopAsync(HttpClient http, byte[] body, int count, StrongBox<long> acked, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
                using var response = await http.PostAsync(new Uri("v1/logs", UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
                Interlocked.Add(ref acked.Value, count);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Publishes over <c>/v1/ingest</c> at <paramref name="pace"/> (checked every 10 ms; the rate may change while it
    /// runs), pipelined: it never waits for an ack, as a logger that writes line by line does not, until cancelled.
    /// <paramref name="perPublish"/> entries go in each publish message (1: one WebSocket message per entry); 0 sends
    /// whatever is due in one message per tick (rate/100 entries). Each entry's message starts with its send timestamp
    /// (for latency); acknowledged entries are added to the pace.
    /// </summary>
    public static async Task PacedPublishLoopAsync(Uri ws, string? key, int entryBytes, int perPublish, PublishPace pace, CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        if (key is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + key);
        }

        await socket.ConnectAsync(new Uri(ws, "v1/ingest"), cancellationToken).ConfigureAwait(false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var receiving = ReceiveAcksAsync(socket, pace, stop.Token);
        var template = perPublish > 0 ? new PublishTemplate(perPublish, entryBytes) : null;
        try
        {
            using var timer = new PeriodicTimer(PublishTick);
            pace.TakeDue();
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var due = pace.TakeDue();
                if (template is null)
                {
                    if (due > 0)
                    {
                        await socket.SendAsync(PublishMessage(due, entryBytes, Stopwatch.GetTimestamp()), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
                        pace.AddSent(due);
                    }

                    continue;
                }

                var messages = due / perPublish;
                pace.GiveBack(due - messages * perPublish);
                for (var i = 0; i < messages; i++)
                {
                    // The socket copies (masks) the message before SendAsync completes, so the template is free again.
                    await socket.SendAsync(template.Stamp(Stopwatch.GetTimestamp()), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
                    pace.AddSent(perPublish);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await receiving.ConfigureAwait(false);
            socket.Abort();
        }
    }

    /// <summary>How often a paced publisher sends what is due: 100 rounds a second.</summary>
    public static readonly TimeSpan PublishTick = TimeSpan.FromMilliseconds(10);

    private static async Task ReceiveAcksAsync(ClientWebSocket socket, PublishPace pace, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                if (result.EndOfMessage)
                {
                    var text = buffer.AsSpan(0, result.Count);
                    var at = text.IndexOf("\"count\":"u8);
                    var rest = at < 0 ? default : text[(at + 8)..];
                    var comma = rest.IndexOf((byte)',');
                    if (comma > 0 && int.TryParse(rest[..comma], out var n))
                    {
                        pace.AddAcked(n);
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
    }
}
