using System.Net;
using System.Net.Sockets;
using System.Text;
using Lifeline.Hub.Hosting;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

namespace Lifeline.Hub.Tests.Streaming;

/// <summary>
/// <c>UseLifelineStreams</c>: stream upgrades are taken at the connection level; everything else, and a request whose
/// head is late, goes on to HTTP unchanged. Which path answered shows in the 101 response: Kestrel's HTTP layer adds
/// <c>Server: Kestrel</c>, the connection-level path writes only the WebSocket headers.
/// (Every other stream test runs through the lean path too: HubHost uses it by default.)
/// </summary>
public class LeanStreamTests
{
    private const string UpgradeHeaders = "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task StreamUpgrade_IsAnsweredByTheConnectionLevelPath_OnlyWhenEnabled(bool lean, bool expectServerHeader)
    {
        await using var hub = await HubHost.StartAsync(leanStreams: lean);
        using var socket = await ConnectAsync(hub);
        await SendAsync(socket, "GET /v1/stream?clientId=raw HTTP/1.1\r\nHost: test\r\n" + UpgradeHeaders);

        var head = await ReadHeadAsync(socket);
        Assert.StartsWith("HTTP/1.1 101", head);
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", head);
        Assert.Equal(expectServerHeader, head.Contains("Server: Kestrel", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AHeadSentInPieces_IsStillTakenAtTheConnectionLevel()
    {
        await using var hub = await HubHost.StartAsync();
        using var socket = await ConnectAsync(hub);
        await SendAsync(socket, "GET /v1/str");
        await SendAsync(socket, "eam HTTP/1.1\r\nHost: test\r\n");
        await SendAsync(socket, UpgradeHeaders);

        var head = await ReadHeadAsync(socket);
        Assert.StartsWith("HTTP/1.1 101", head);
        Assert.DoesNotContain("Server: Kestrel", head);
    }

    [Fact]
    public async Task AHeadLaterThanTheDeadline_GoesOnToHttp_WhichStillReadsAllOfIt()
    {
        var time = new ManualTimeProvider();
        await using var hub = await HubHost.StartAsync(o => o.TimeProvider = time);
        using var socket = await ConnectAsync(hub);
        await SendAsync(socket, "GET /v1/stream HTTP/1.1\r\nHost: test\r\n");

        // The heartbeat timer and the head deadline.
        await time.WaitForTimersAsync(2).OrTimeout(TimeSpan.FromSeconds(30));
        time.Advance(StreamUpgradeMiddleware.HeadTimeout);
        await SendAsync(socket, UpgradeHeaders);

        var head = await ReadHeadAsync(socket);
        Assert.StartsWith("HTTP/1.1 101", head);
        Assert.Contains("Server: Kestrel", head);
    }

    [Fact]
    public async Task RefusedStreamRequests_AreAnsweredByHttp_WithTheDocumentedStatus()
    {
        await using var hub = await HubHost.StartAsync(o => o.RequireAuthentication = true);
        using var socket = await ConnectAsync(hub);
        await SendAsync(socket, "GET /v1/stream?level=loud HTTP/1.1\r\nHost: test\r\n" + UpgradeHeaders);

        var head = await ReadHeadAsync(socket);
        Assert.StartsWith("HTTP/1.1 400", head);   // the filter is checked first, then the key (401)
    }

    [Fact]
    public async Task AnUpgradeWithoutHost_IsLeftToHttp_WhichRefusesIt()
    {
        await using var hub = await HubHost.StartAsync();
        using var socket = await ConnectAsync(hub);
        await SendAsync(socket, "GET /v1/stream HTTP/1.1\r\n" + UpgradeHeaders);

        Assert.StartsWith("HTTP/1.1 400", await ReadHeadAsync(socket));
    }

    [Fact]
    public async Task Resume_OverTheHttpPath_IsExactlyOnceInOrder()
    {
        await using var hub = await HubHost.StartAsync(leanStreams: false);
        await hub.PostManyAsync(100);
        await using var sub = await hub.SubscribeAsync("after=40");
        await sub.ReceiveEntriesAsync(60);
        Assert.Equal(Enumerable.Range(41, 60).Select(i => (long)i), sub.Entries.Select(e => e.Id));
        Assert.Equal(100, (await sub.ReceiveUntilAsync<LiveMessage>()).LastId);
    }

    private static async Task<Socket> ConnectAsync(HubHost hub)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, hub.BaseUri.Port)).OrTimeout(TimeSpan.FromSeconds(30));
        return socket;
    }

    private static Task<int> SendAsync(Socket socket, string text) => socket.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None).OrTimeout(TimeSpan.FromSeconds(30));

    private static async Task<string> ReadHeadAsync(Socket socket)
    {
        var buffer = new byte[8192];
        var length = 0;
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(length)).AsTask().OrTimeout(TimeSpan.FromSeconds(30));
            if (read == 0)
            {
                throw new InvalidOperationException("closed before the response head: " + Encoding.ASCII.GetString(buffer, 0, length));
            }

            length += read;
            var text = Encoding.ASCII.GetString(buffer, 0, length);
            if (text.IndexOf("\r\n\r\n", StringComparison.Ordinal) is var end and >= 0)
            {
                return text[..end];
            }
        }
    }
}
