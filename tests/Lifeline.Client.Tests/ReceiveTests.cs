using System.Net.WebSockets;
using Lifeline.Client.Tests.Infrastructure;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Lifeline.Client.Tests;

/// <summary>Receiving as IAsyncEnumerable and as events; limits; handlers that throw.</summary>
public class ReceiveTests
{
    [Fact]
    public async Task ReadAllAsync_YieldsEveryMessage_InOrder_AcrossReconnects_AndEndsOnStop()
    {
        await using var server = await TestServer.StartAsync();
        server.OnAccepted = async c =>
        {
            await c.SendManyAsync(100, $"c{c.Number}");
            if (c.Number == 1)
            {
                await c.CloseAsync(WebSocketCloseStatus.InternalServerError);
            }
        };
        var options = TestOptions.For(server.GetUri(), out var time);
        options.Reconnect.Jitter = static () => 0; // reconnect at once
        var client = new LifelineClient(options);
        await client.StartAsync(CancellationToken.None);

        var received = new List<ReceivedMessage>();
        await foreach (var message in client.ReadAllAsync(CancellationToken.None))
        {
            received.Add(message);
            if (received.Count == 200)
            {
                await client.StopAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30)); // ends the enumeration
            }
        }

        Assert.Equal(200, received.Count);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"c1-{i}").Concat(Enumerable.Range(0, 100).Select(i => $"c2-{i}")), received.Select(m => m.Text));
        Assert.All(received.Take(100), m => Assert.Equal(1, m.Epoch));
        Assert.All(received.Skip(100), m => Assert.Equal(2, m.Epoch));
        Assert.Equal("c1-0"u8.ToArray(), received[0].Utf8.ToArray());
        Assert.Equal(WebSocketMessageType.Text, received[0].MessageType);
        Assert.Equal(200, client.GetSnapshot().MessagesReceived);
    }

    [Fact]
    public async Task ReadAllAsync_WithASmallQueue_PausesReceiving_AndLosesNothing()
    {
        await using var server = await TestServer.StartAsync();
        server.OnAccepted = c => c.SendManyAsync(500);
        var options = TestOptions.For(server.GetUri());
        options.ReceiveBufferCapacity = 4;
        await using var client = new LifelineClient(options);
        await client.StartAsync(CancellationToken.None);

        var received = new List<string>();
        await using var messages = client.ReadAllAsync(CancellationToken.None).GetAsyncEnumerator();
        while (received.Count < 500 && await messages.MoveNextAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30)))
        {
            received.Add(messages.Current.Text);
        }

        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"m-{i}"), received);
        Assert.Throws<InvalidOperationException>(() => client.ReadAllAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ReadAllAsync_BatchedHandOff_NeverHoldsMoreThanTheCapacity()
    {
        // The receive loop hands messages over in batches; the batch counts against ReceiveBufferCapacity, so at any
        // moment the client has read at most what was taken + the capacity + the one message waiting for room.
        const int capacity = 8;
        await using var server = await TestServer.StartAsync();
        server.OnAccepted = c => c.SendManyAsync(2000);
        var options = TestOptions.For(server.GetUri());
        options.ReceiveBufferCapacity = capacity;
        await using var client = new LifelineClient(options);
        await client.StartAsync(CancellationToken.None);

        var received = new List<string>();
        var worst = 0L;
        await using var messages = client.ReadAllAsync(CancellationToken.None).GetAsyncEnumerator();
        while (received.Count < 2000 && await messages.MoveNextAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30)))
        {
            received.Add(messages.Current.Text);
            worst = Math.Max(worst, client.GetSnapshot().MessagesReceived - received.Count);
        }

        Assert.Equal(Enumerable.Range(0, 2000).Select(i => $"m-{i}"), received);
        Assert.InRange(worst, 0, capacity + 1);
    }

    [Fact]
    public async Task MessagesWaitingForRoom_WhenTheConnectionEnds_AreStillDelivered()
    {
        await using var server = await TestServer.StartAsync();
        var sentAndClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnAccepted = async c =>
        {
            await c.SendManyAsync(10);
            await c.CloseAsync(WebSocketCloseStatus.InternalServerError);
            sentAndClosed.TrySetResult();
        };
        var options = TestOptions.For(server.GetUri());
        options.ReceiveBufferCapacity = 2;
        await using var client = new LifelineClient(options);
        var events = await EventRecorder.StartAsync(client);
        await sentAndClosed.Task.OrTimeout(TimeSpan.FromSeconds(30));   // the server is gone; 8 messages still wait for room

        var received = new List<string>();
        await using var messages = client.ReadAllAsync(CancellationToken.None).GetAsyncEnumerator();
        while (received.Count < 10 && await messages.MoveNextAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30)))
        {
            received.Add(messages.Current.Text);
        }

        var disconnected = await events.DisconnectedAsync();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"m-{i}"), received);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, disconnected.CloseStatus);
    }

    [Fact]
    public async Task MessageReceived_RaisesEveryMessage_InOrder()
    {
        await using var server = await TestServer.StartAsync();
        server.OnAccepted = c => c.SendManyAsync(50);
        var options = TestOptions.For(server.GetUri());
        options.EnableReadAll = false;
        await using var client = new LifelineClient(options);
        var received = new List<string>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.MessageReceived += (_, e) =>
        {
            received.Add(e.Message.Text);
            if (received.Count == 50)
            {
                all.TrySetResult();
            }
        };
        await client.StartAsync(CancellationToken.None);

        await all.Task.OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"m-{i}"), received);
        Assert.Throws<InvalidOperationException>(() => client.ReadAllAsync(CancellationToken.None));
    }

    [Fact]
    public async Task AHandlerThatThrows_IsLoggedAndReported_AndDeliveryGoesOn()
    {
        await using var server = await TestServer.StartAsync();
        server.OnAccepted = c => c.SendManyAsync(3);
        var logs = new FakeLogCollector();
        var options = TestOptions.For(server.GetUri());
        options.EnableReadAll = false;
        options.LoggerFactory = new LoggerFactory([new FakeLoggerProvider(logs)]);
        await using var client = new LifelineClient(options);
        var events = new EventRecorder(client);
        var received = new List<string>();
        var third = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.MessageReceived += (_, e) =>
        {
            received.Add(e.Message.Text);
            if (e.Message.Text == "m-2")
            {
                third.TrySetResult();
            }

            if (e.Message.Text == "m-0")
            {
                throw new InvalidOperationException("handler bug");
            }
        };
        client.Connected += (_, _) => throw new InvalidOperationException("connected handler bug");
        await client.StartAsync(CancellationToken.None);

        await third.Task.OrTimeout(TimeSpan.FromSeconds(30));
        var errors = new[] { await events.NextAsync<ClientErrorEventArgs>(), await events.NextAsync<ClientErrorEventArgs>() };

        Assert.Equal(["m-0", "m-1", "m-2"], received);
        Assert.All(errors, e => Assert.Equal(ErrorCategory.Handler, e.Category));
        Assert.Contains(errors, e => e.Exception.Message == "handler bug");
        Assert.Contains(errors, e => e.Exception.Message == "connected handler bug");
        Assert.Contains(logs.GetSnapshot(), e => e.Id.Id == 7 && e.Message.Contains("MessageReceived handler threw", StringComparison.Ordinal));
        Assert.Equal(ClientState.Connected, client.State);
    }

    [Fact]
    public async Task AMessageOverMaxMessageBytes_ClosesWith1009_AndTheClientReconnects()
    {
        await using var server = await TestServer.StartAsync();
        server.OnAccepted = c => c.Number == 1 ? c.SendAsync(new string('x', 5000)) : c.SendAsync("small");
        var options = TestOptions.For(server.GetUri(), out var time);
        options.MaxMessageBytes = 4096;
        await using var client = new LifelineClient(options);
        var events = await EventRecorder.StartAsync(client);
        var first = await server.NextConnectionAsync().OrTimeout(TimeSpan.FromSeconds(30));

        var disconnected = await events.DisconnectedAsync();
        time.Advance((await events.ReconnectingAsync()).Delay);
        await using var messages = client.ReadAllAsync(CancellationToken.None).GetAsyncEnumerator();
        Assert.True(await messages.MoveNextAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30)));

        Assert.Equal(DisconnectReason.Error, disconnected.Reason);
        Assert.Equal(4096, Assert.IsType<MessageTooLargeException>(disconnected.Exception).Limit);
        await first.Completion.OrTimeout(TimeSpan.FromSeconds(30));
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, first.ClientCloseStatus);
        Assert.Equal("small", messages.Current.Text);
    }

    [Fact]
    public async Task LargeMessagesInManyFrames_ArriveWhole()
    {
        await using var server = await TestServer.StartAsync();
        var big = string.Concat(Enumerable.Range(0, 30_000).Select(i => (char)('a' + (i % 26))));
        server.OnAccepted = c => c.SendAsync(big);
        await using var client = new LifelineClient(TestOptions.For(server.GetUri()));
        await client.StartAsync(CancellationToken.None);

        await using var messages = client.ReadAllAsync(CancellationToken.None).GetAsyncEnumerator();
        Assert.True(await messages.MoveNextAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30)));

        Assert.Equal(big, messages.Current.Text);
    }

    [Fact]
    public async Task LifecycleEvents_ComeInOrder_WithTheirReasons()
    {
        await using var server = await TestServer.StartAsync();
        var client = new LifelineClient(TestOptions.For(server.GetUri(), out var time));
        var events = await EventRecorder.StartAsync(client);
        var first = await server.NextConnectionAsync().OrTimeout(TimeSpan.FromSeconds(30));
        await events.ConnectedAsync();
        first.Abort();                                           // lost: no close frame
        time.Advance((await events.ReconnectingAsync()).Delay);
        await events.ConnectedAsync();
        await client.StopAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));

        var lifecycle = events.All.Where(e => e is not ClientErrorEventArgs).Select(e => e switch
        {
            ConnectedEventArgs c => $"connected {c.Epoch}",
            DisconnectedEventArgs d => $"disconnected {d.Epoch} {d.Reason} {d.WillReconnect}",
            ReconnectingEventArgs r => $"reconnecting {r.Attempt}",
            _ => e.ToString(),
        });
        Assert.Equal(["connected 1", "disconnected 1 Lost True", "reconnecting 1", "connected 2", "disconnected 2 ByUser False"], lifecycle);
        Assert.Contains(events.All.OfType<ClientErrorEventArgs>(), e => e.Category == ErrorCategory.Receive);
    }
}
