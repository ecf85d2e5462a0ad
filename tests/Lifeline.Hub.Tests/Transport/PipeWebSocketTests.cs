using System.Text;
using System.Text.Json;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;

namespace Lifeline.Hub.Tests.Transport;

/// <summary>
/// The lean streams' own WebSocket (issue 12 point 2) against RFC 6455, over a real hub and raw TCP: the frames it sends
/// (server frames: unmasked, FIN, the shortest length form, the shared frames' pre-encoded header), and how it treats
/// what a client sends: pings answered with their payload, the close handshake, and malformed frames refused with
/// 1002 (1007 for a close reason that is not UTF-8) as the runtime's WebSocket refused them before.
/// </summary>
public class PipeWebSocketTests
{
    private const byte Fin = 0x80;

    [Theory]
    [InlineData(1, 20, 4)]          // one small entry: 126..65535 bytes, the 16-bit length form
    [InlineData(1, 30_000, 4)]
    [InlineData(3, 40_000, 10)]     // three in one frame (frames up to 256 KB here): the 64-bit form
    public async Task EntriesFrames_AreUnmaskedFinalTextFrames_WithTheShortestLengthForm(int entries, int messageChars, int headerLength)
    {
        await using var hub = await HubHost.StartAsync(o => o.MaxFrameBytes = 256 << 10);
        await using var raw = await RawWebSocket.ConnectAsync(hub);
        var hello = await raw.ReadFrameAsync();
        Assert.Equal(2, hello.HeaderLength);   // under 126 bytes: the 7-bit form
        Assert.Contains("\"hello\"", hello.Text);
        await raw.ReadFrameAsync();            // live

        var messages = Enumerable.Range(0, entries).Select(i => new string((char)('a' + i), messageChars)).ToArray();
        await hub.PostAsync([.. messages.Select(m => new LogEntry { Message = m })]);
        var frame = await raw.ReadFrameAsync();

        Assert.True(frame.Fin);
        Assert.Equal(0x1, frame.Opcode);
        Assert.False(frame.Masked);
        Assert.Equal(headerLength, frame.HeaderLength);
        using var json = JsonDocument.Parse(frame.Payload);
        Assert.Equal("entries", json.RootElement.GetProperty("type").GetString());
        Assert.Equal(messages, json.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task ClientPing_IsAnsweredWithAPong_CarryingItsPayload()
    {
        await using var hub = await HubHost.StartAsync();
        await using var raw = await RawWebSocket.ConnectAsync(hub);
        await raw.SendFrameAsync(Fin | 0x9, "are you there"u8.ToArray());

        var pong = await raw.ReadUntilAsync(0xA);
        Assert.True(pong.Fin);
        Assert.False(pong.Masked);
        Assert.Equal("are you there", pong.Text);

        // The stream goes on: a ping is no data message.
        await hub.PostAsync(new LogEntry { Message = "after the ping" });
        string text;
        do
        {
            text = (await raw.ReadUntilAsync(0x1)).Text;
        }
        while (!text.Contains("\"entries\"", StringComparison.Ordinal));
        Assert.Contains("after the ping", text);
    }

    [Fact]
    public async Task ClientClose_IsAnsweredWithACloseFrame_ThenTheConnectionEnds()
    {
        await using var hub = await HubHost.StartAsync();
        await using var raw = await RawWebSocket.ConnectAsync(hub);
        await raw.SendFrameAsync(Fin | 0x8, RawWebSocket.ClosePayload(1000, "bye"u8.ToArray()));

        var close = await raw.ReadUntilAsync(0x8);
        Assert.Equal(1000, close.CloseCode);
        Assert.True(await raw.ReadToEndAsync());
        await hub.WaitForConnectionsAsync(0);
        Assert.Equal(0, (await hub.StatsAsync()).GetProperty("abnormalDisconnects").GetInt64());
    }

    public static TheoryData<string, byte[]> MalformedFrames => new()
    {
        { "unmasked", RawWebSocket.Frame(Fin | 0x9, [1, 2], masked: false) },
        { "reserved bit", RawWebSocket.Frame(Fin | 0x40 | 0x9, [1, 2]) },
        { "fragmented ping", RawWebSocket.Frame(0x9, [1, 2]) },
        { "ping over 125 bytes", RawWebSocket.Frame(Fin | 0x9, new byte[126]) },
        { "unknown data opcode", RawWebSocket.Frame(Fin | 0x3, [1]) },
        { "unknown control opcode", RawWebSocket.Frame(Fin | 0xB, [1]) },
        { "continuation of nothing", RawWebSocket.Frame(Fin | 0x0, [1]) },
        { "close with one byte", RawWebSocket.Frame(Fin | 0x8, [3]) },
        { "close with 1005", RawWebSocket.Frame(Fin | 0x8, RawWebSocket.ClosePayload(1005)) },
        { "close with 999", RawWebSocket.Frame(Fin | 0x8, RawWebSocket.ClosePayload(999)) },
        { "close with 2000", RawWebSocket.Frame(Fin | 0x8, RawWebSocket.ClosePayload(2000)) },
    };

    [Theory]
    [MemberData(nameof(MalformedFrames))]
    public async Task MalformedFrame_IsRefusedWith1002_AndTheStreamEnds(string what, byte[] frame)
    {
        await using var hub = await HubHost.StartAsync();
        await using var raw = await RawWebSocket.ConnectAsync(hub);
        await raw.ReadFrameAsync();   // hello
        await raw.SendRawAsync(frame);

        var close = await raw.ReadUntilAsync(0x8);
        Assert.True(close.CloseCode == 1002, $"{what}: closed with {close.CloseCode}");
        Assert.True(await raw.ReadToEndAsync());
        await hub.WaitForConnectionsAsync(0);
    }

    [Fact]
    public async Task CloseReason_ThatIsNotUtf8_IsRefusedWith1007()
    {
        await using var hub = await HubHost.StartAsync();
        await using var raw = await RawWebSocket.ConnectAsync(hub);
        await raw.SendFrameAsync(Fin | 0x8, RawWebSocket.ClosePayload(1000, [0xC3, 0x28]));

        Assert.Equal(1007, (await raw.ReadUntilAsync(0x8)).CloseCode);
        Assert.True(await raw.ReadToEndAsync());
    }

    [Fact]
    public async Task DataMessage_InPiecesAcrossFrames_IsStillRefusedByTheStream_With4400()
    {
        // A stream takes no data: the socket reads the fragmented message whole (text, then a continuation) and the
        // stream closes with its documented code, not a protocol error.
        await using var hub = await HubHost.StartAsync();
        await using var raw = await RawWebSocket.ConnectAsync(hub);
        await raw.SendFrameAsync(0x1, Encoding.UTF8.GetBytes("{\"type\":"));
        await raw.SendFrameAsync(Fin | 0x0, Encoding.UTF8.GetBytes("\"x\"}"));

        Assert.Equal(CloseCodes.InvalidMessage, (await raw.ReadUntilAsync(0x8)).CloseCode);
    }
}
