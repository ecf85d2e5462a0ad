using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using System.Text;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;
using Microsoft.Extensions.DependencyInjection;

namespace Lifeline.Hub.Tests.Ingest;

/// <summary>Each kind of bad input gets its documented close code and a log line, and leaves other clients untouched.</summary>
public class BadInputTests
{
    public static TheoryData<string, int> TextCases => new()
    {
        { "{not json", CloseCodes.InvalidMessage },
        { """{"type":"subscribe"}""", CloseCodes.InvalidMessage },
        { """{"type":"publish","entries":[]}""", CloseCodes.InvalidMessage },
        { "[1,2,3]", CloseCodes.InvalidMessage },
    };

    [Theory]
    [MemberData(nameof(TextCases))]
    public async Task Ingest_InvalidMessage_ClosesWithCode_OthersUnaffected(string text, int code)
    {
        await using var hub = await HubHost.StartAsync();
        await using var bystander = await hub.SubscribeAsync();
        await bystander.ReceiveUntilAsync<LiveMessage>();
        await using var good = await TestPublisher.ConnectAsync(hub);
        await using var bad = await TestPublisher.ConnectAsync(hub);

        await good.PublishAsync("1", new LogEntry { Message = "before" });
        Assert.IsType<AckMessage>(await good.ReceiveAsync());
        await bad.SendTextAsync(text);
        var (status, _) = await bad.ReceiveCloseAsync();
        Assert.Equal(code, (int)status!);
        Assert.True(hub.Logged("invalid message"));

        await good.PublishAsync("2", new LogEntry { Message = "after" });
        Assert.IsType<AckMessage>(await good.ReceiveAsync());
        await bystander.ReceiveEntriesAsync(2);
        Assert.Equal(["before", "after"], bystander.Entries.Select(e => e.Message));
    }

    [Fact]
    public async Task Ingest_BinaryFrame_Closes1003()
    {
        await using var hub = await HubHost.StartAsync();
        await using var pub = await TestPublisher.ConnectAsync(hub);
        await pub.Socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None).OrTimeout();
        Assert.Equal(CloseCodes.UnsupportedData, (int)(await pub.ReceiveCloseAsync()).Status!);
        Assert.True(hub.Logged("binary frames"));
    }

    /// <summary>
    /// Regression (issue 11, point 5): 1006 instead of 1007 in some tries. The WebSocket refuses the text itself: it sends
    /// 1007 and stops reading, so there was no close handshake, and the hub ended the request at once; Kestrel then
    /// closed the TCP connection with a reset, which discards the close frame when it reaches the peer before the peer
    /// has read that frame. Each try here reads only after the hub has ended the connection (the reset's moment), which
    /// made most tries fail before the hub lingered until the peer closes.
    /// </summary>
    [Fact]
    public async Task Ingest_InvalidUtf8_Closes1007_EveryTime()
    {
        await using var hub = await HubHost.StartAsync();
        for (var i = 0; i < 100; i++)
        {
            await using var pub = await TestPublisher.ConnectAsync(hub);
            await hub.WaitForConnectionsAsync(1);
            await pub.SendTextAsync([(byte)'{', 0xC3, 0x28, (byte)'}']);
            await hub.WaitForConnectionsAsync(0);
            Assert.Equal(CloseCodes.InvalidPayload, (int)(await pub.ReceiveCloseAsync()).Status!);
        }

        Assert.True(hub.Logged("refused a frame"));
    }

    [Fact]
    public async Task Ingest_OversizeMessage_Closes1009_AndAckedEntriesStay()
    {
        await using var hub = await HubHost.StartAsync(o => o.MaxMessageBytes = 4096);
        await using var pub = await TestPublisher.ConnectAsync(hub);
        await pub.PublishAsync("1", new LogEntry { Message = "kept" });
        Assert.Equal(new AckMessage("1", 1, 1, 1), await pub.ReceiveAsync());
        await pub.PublishAsync("2", new LogEntry { Message = new string('x', 10_000) });
        Assert.Equal(CloseCodes.MessageTooBig, (int)(await pub.ReceiveCloseAsync()).Status!);

        var page = HttpBodyJson.ParseQueryPage(await hub.Http.GetByteArrayAsync("v1/logs"));
        Assert.Equal("kept", Assert.Single(page.Entries).Message);
    }

    [Fact]
    public async Task Ingest_OverTheRate_IsSlowedDown_NotClosed_AndEveryPublishIsStored()
    {
        // Issue 12.3: an honest publisher that sends faster than MaxMessagesPerSecond is slowed by backpressure (its
        // socket is not read until the rate allows), not closed. Rate 5/s, burst 10: 30 publishes at once.
        var time = new ManualTimeProvider();
        await using var hub = await HubHost.StartAsync(o =>
        {
            o.MaxMessagesPerSecond = 5;
            o.TimeProvider = time;
        });
        using var throttled = new ThrottleWaits(hub);
        await using var pub = await TestPublisher.ConnectAsync(hub);
        for (var i = 0; i < 30; i++)
        {
            await pub.PublishAsync($"{i}", new LogEntry { Message = $"m{i}" });
        }

        for (var i = 0; i < 30; i++)
        {
            if (i >= 10)
            {
                // The burst is spent: each further publish waits for the next token (200 ms of the hub's clock).
                await throttled.WaitAsync(i - 9);
                time.Advance(TimeSpan.FromMilliseconds(200));
            }

            Assert.Equal($"{i}", Assert.IsType<AckMessage>(await pub.ReceiveAsync()).Ref);
        }

        Assert.Equal(WebSocketState.Open, pub.Socket.State);
        var stored = HttpBodyJson.ParseQueryPage(await hub.Http.GetByteArrayAsync("v1/logs?limit=1000"));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"m{i}"), stored.Entries.Select(e => e.Message));
    }

    [Fact]
    public async Task Ingest_StillOverTheRateAfterTheGracePeriod_Closes4029_AfterAnsweringWhatItAccepted()
    {
        var time = new ManualTimeProvider();
        await using var hub = await HubHost.StartAsync(o =>
        {
            o.MaxMessagesPerSecond = 5;
            o.FloodGracePeriod = TimeSpan.FromSeconds(1);
            o.TimeProvider = time;
        });
        using var throttled = new ThrottleWaits(hub);
        await using var pub = await TestPublisher.ConnectAsync(hub);
        for (var i = 0; i < 50; i++)
        {
            await pub.PublishAsync($"{i}", new LogEntry { Message = $"m{i}" });
        }

        // 10 from the burst, then one per 200 ms wait while the publisher stays over the rate, for the 1 s grace period.
        for (var wait = 1; wait <= 5; wait++)
        {
            await throttled.WaitAsync(wait);
            time.Advance(TimeSpan.FromMilliseconds(200));
        }

        var acks = new List<AckMessage>();
        while (await pub.ReceiveAsync() is { } m)
        {
            acks.Add(Assert.IsType<AckMessage>(m));
        }

        Assert.Equal(CloseCodes.Flood, (int)pub.Socket.CloseStatus!);
        Assert.Equal(Enumerable.Range(0, 15).Select(i => $"{i}"), acks.Select(a => a.Ref));
        var stored = HttpBodyJson.ParseQueryPage(await hub.Http.GetByteArrayAsync("v1/logs?limit=1000"));
        Assert.Equal(Enumerable.Range(0, 15).Select(i => $"m{i}"), stored.Entries.Select(e => e.Message));
        Assert.True(hub.Logged("messages per second"));
    }

    [Fact]
    public async Task Ingest_ByDefault_HasNoMessageRateLimit()
    {
        Assert.Equal(0, new HubOptions().MaxMessagesPerSecond);
        var time = new ManualTimeProvider();
        await using var hub = await HubHost.StartAsync(o => o.TimeProvider = time);
        await using var pub = await TestPublisher.ConnectAsync(hub);
        for (var i = 0; i < 3_000; i++)
        {
            await pub.PublishAsync($"{i}", new LogEntry { Message = $"m{i}" });
        }

        // The clock never moves: 3,000 messages "in no time" are all answered, none waits, nothing closes.
        for (var i = 0; i < 3_000; i++)
        {
            Assert.Equal($"{i}", Assert.IsType<AckMessage>(await pub.ReceiveAsync()).Ref);
        }

        Assert.Equal(WebSocketState.Open, pub.Socket.State);
    }

    /// <summary>Counts this hub's flood waits (lifeline.hub.ingest.throttled) so a test moves the clock only once a wait is armed.</summary>
    private sealed class ThrottleWaits : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly SemaphoreSlim _waits = new(0);
        private int _seen;

        public ThrottleWaits(HubHost hub)
        {
            var factory = hub.Services.GetRequiredService<IMeterFactory>();
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "lifeline.hub.ingest.throttled" && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, _, _, _) => _waits.Release());
            _listener.Start();
        }

        /// <summary>Completes once <paramref name="total"/> waits have started in all.</summary>
        public async Task WaitAsync(int total)
        {
            while (_seen < total)
            {
                Assert.True(await _waits.WaitAsync(TaskTimeoutExtensions.DefaultTimeout), $"flood wait {_seen + 1} never started");
                _seen++;
            }
        }

        public void Dispose()
        {
            _listener.Dispose();
            _waits.Dispose();
        }
    }

    [Fact]
    public async Task Stream_AnyDataFrame_Closes4400()
    {
        await using var hub = await HubHost.StartAsync();
        await using var sub = await hub.SubscribeAsync();
        await sub.ReceiveUntilAsync<LiveMessage>();
        await sub.Socket.SendAsync(Encoding.UTF8.GetBytes("""{"type":"hello"}"""), WebSocketMessageType.Text, true, CancellationToken.None).OrTimeout();
        Assert.Equal(CloseCodes.InvalidMessage, (int)(await sub.ReceiveCloseAsync()).Status!);
    }

    [Fact]
    public async Task Stream_InvalidFilter_Is400()
    {
        await using var hub = await HubHost.StartAsync();
        using var socket = new ClientWebSocket();
        var e = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(hub.WsUri("v1/stream?level=loud"), CancellationToken.None).OrTimeout());
        Assert.Contains("400", e.Message, StringComparison.Ordinal);
    }
}
