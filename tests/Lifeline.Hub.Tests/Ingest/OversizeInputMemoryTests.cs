using System.Diagnostics.Tracing;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

namespace Lifeline.Hub.Tests.Ingest;

/// <summary>
/// Issue 11 point 8: a storm of oversize bad input leaves no large buffers behind. Before the fix every body and message
/// buffer went back to the process-wide <c>ArrayPool.Shared</c>, whatever its size (bodies grow to the 16 MiB limit,
/// messages to 1 MiB + 1), and the pool keeps what it is given until full collections trim it, which a quiet hub does not
/// have: 20,100 bad inputs left a `lifeline serve` at 625 MiB resident (64 before). Now buffers over 256 KiB are plain
/// arrays the GC reclaims: none of them is given to the shared pool.
/// </summary>
// The shared pool and its events are process-wide: run alone, so no other test's HttpClient, ClientWebSocket or hub
// returns a large buffer to the pool meanwhile (it did, once other bad-input tests with large bodies ran beside it).
[Collection(nameof(OversizeInputMemoryTests))]
public class OversizeInputMemoryTests
{
    [Fact]
    public async Task StormOfOversizeBodiesAndMessages_GivesNoLargeBufferToTheSharedPool_AndEachGetsItsDocumentedAnswer()
    {
        await using var hub = await HubHost.StartAsync();
        var body = Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Repeat("{\"message\":\"" + new string('x', 1000) + "\"}", 3_000)) + ",{\"level\":\"nope\"}]");
        using var returns = new LargePoolReturns(minimumBytes: 1 << 20);

        // Bodies of 3 MiB read to the end (chunked: no Content-Length to refuse them up front), invalid at their end. Clients
        // here are plain sockets: HttpClient and ClientWebSocket rent their own buffers from the shared pool, in this process.
        for (var i = 0; i < 5; i++)
        {
            Assert.StartsWith("HTTP/1.1 400", await PostRawChunkedAsync(hub, body), StringComparison.Ordinal);
        }

        // WebSocket messages over MaxMessageBytes (1 MiB): the receive buffer grows past it, then 1009.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(CloseCodes.MessageTooBig, await SendRawMessageAsync(hub, (1 << 20) + 100));
        }

        // The hub is well, and none of those buffers went to the shared pool.
        Assert.Equal(1, (await hub.PostManyAsync(1)).Count);
        Assert.Empty(returns.Sizes);
    }

    [Fact]
    public async Task BadInputBurst_OnceQuietFor10s_RunsOneCollectionThatGivesMemoryBack_AtMostOncePerMinute()
    {
        var time = new ManualTimeProvider();
        await using var hub = await HubHost.StartAsync(o => o.TimeProvider = time);
        var trim = hub.Core().Metrics.BadInputTrim;
        await time.WaitForTimersAsync(1).OrTimeout();
        var armed = time.ActiveTimerCount;
        using (var response = await hub.PostRawAsync("[{\"message\":", "application/json"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        // Armed by the bad input; nothing runs before the quiet spell is over.
        Assert.Equal(armed + 1, time.ActiveTimerCount);
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, trim.Trims);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, trim.Trims);

        // Another burst right after: its collection waits for the minute since the last one.
        using (var response = await hub.PostRawAsync("hello", "text/plain"))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        }

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, trim.Trims);
        time.Advance(TimeSpan.FromSeconds(49));
        Assert.Equal(1, trim.Trims);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, trim.Trims);
    }

    /// <summary>POSTs <paramref name="body"/> chunked on a plain socket; returns the status line.</summary>
    private static async Task<string> PostRawChunkedAsync(HubHost hub, byte[] body)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, hub.BaseUri.Port).OrTimeout();
        var stream = client.GetStream();
        var request = new MemoryStream();
        request.Write(Encoding.ASCII.GetBytes("POST /v1/logs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"));
        for (var offset = 0; offset < body.Length; offset += 64 << 10)
        {
            var size = Math.Min(64 << 10, body.Length - offset);
            request.Write(Encoding.ASCII.GetBytes($"{size:x}\r\n"));
            request.Write(body, offset, size);
            request.Write("\r\n"u8);
        }

        request.Write("0\r\n\r\n"u8);
        await stream.WriteAsync(request.GetBuffer().AsMemory(0, (int)request.Length)).AsTask().OrTimeout();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadLineAsync().OrTimeout() ?? "";
    }

    /// <summary>Opens <c>/v1/ingest</c> on a plain socket, sends one masked text frame of <paramref name="length"/> bytes and returns the hub's close code.</summary>
    private static async Task<int> SendRawMessageAsync(HubHost hub, int length)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, hub.BaseUri.Port).OrTimeout();
        var stream = client.GetStream();
        var head = $"GET /v1/ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head)).AsTask().OrTimeout();
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (!Encoding.ASCII.GetString([.. received]).Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer).AsTask().OrTimeout();
            Assert.NotEqual(0, read);
            received.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        var text = Encoding.ASCII.GetString([.. received]);
        Assert.StartsWith("HTTP/1.1 101", text, StringComparison.Ordinal);
        received.RemoveRange(0, text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4);

        // FIN + text, masked, 64-bit length; a zero mask leaves the payload as it is.
        var frame = new byte[14 + length];
        frame[0] = 0x81;
        frame[1] = 0x80 | 127;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)length);
        frame.AsSpan(14).Fill((byte)'y');
        try
        {
            await stream.WriteAsync(frame).AsTask().OrTimeout();
        }
        catch (IOException)
        {
            // The hub may stop reading once the message is over the limit; its close frame is already on its way.
        }

        while (true)
        {
            if (received.Count >= 4 && (received[0] & 0x0F) == 8)
            {
                return (received[2] << 8) | received[3];
            }

            var read = await stream.ReadAsync(buffer).AsTask().OrTimeout();
            Assert.NotEqual(0, read);
            received.AddRange(buffer.AsSpan(0, read).ToArray());
        }
    }

    /// <summary>Every array of at least the given size returned to <c>ArrayPool&lt;byte&gt;.Shared</c> while it listens.</summary>
    private sealed class LargePoolReturns(int minimumBytes) : EventListener
    {
        public List<int> Sizes { get; } = [];

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "System.Buffers.ArrayPoolEventSource")
            {
                EnableEvents(eventSource, EventLevel.Verbose);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            // BufferReturned(bufferId, bufferSize, poolId)
            if (eventData.EventName == "BufferReturned" && eventData.Payload is [_, int size, ..] && size >= minimumBytes)
            {
                lock (Sizes)
                {
                    Sizes.Add(size);
                }
            }
        }
    }
}

/// <summary>Runs <see cref="OversizeInputMemoryTests"/> with no other test class at the same time.</summary>
[CollectionDefinition(nameof(OversizeInputMemoryTests), DisableParallelization = true)]
public sealed class OversizeInputMemoryCollection;
